/**
 * Loaded before every test file (`--import`, see package.json): property tests run from a fixed
 * fast-check seed, so a CI run is reproducible; FC_SEED=<n> explores another part of the space.
 */
import fc from 'fast-check';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261125) });
