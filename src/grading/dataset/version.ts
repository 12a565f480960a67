// The dataset generator's version, apart from the generator (which draws with a canvas library):
// the case-study data paths name it, and the web process needs no canvas to know them.

/** Bump when drawing changes: cached datasets of another version are rebuilt. */
export const GENERATOR_VERSION = 1;
