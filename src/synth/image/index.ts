// Image synthesizers (issue 16 §4): contract, registry, DCGAN / conditional DCGAN / conv VAE, PNG grids.
export {};
