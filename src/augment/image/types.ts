/** The image family's context. Image operators need no fitted resources; the type exists so the family has a named context like the others. */
export type ImageAugmentContext = Readonly<Record<never, never>>;
