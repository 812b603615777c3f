export * from './bus.js';
export { subjects, buckets, keys, token, untoken, partitionOf } from './subjects.js';
export { BUS } from './bus.tokens.js';
