/**
 * What media-relay features react to (STYLE.md: one typed vocabulary per app). Empty so far: its
 * features answer IQs and serve their own listeners; a hook is added here when two features must
 * meet (none fires that nobody runs).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the vocabulary starts empty
export interface MediaHooks {}
