/** How many edge worker threads standalone runs (standalone.workers resolved). */
export const EDGE_WORKER_COUNT = Symbol('EDGE_WORKER_COUNT');
