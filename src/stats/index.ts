/**
 * Placeholder so that the `samplify/stats` subpath resolves on this branch; the stats branch owns
 * this folder and replaces this file when the branches are merged.
 */
export {};
