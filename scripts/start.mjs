// `npm start`: Glider standalone (every app in one process, embedded bus and storage) on Node 24,
// with the V8 options every Glider process starts with (libs/runtime node-options.ts).
import { ensureNode24 } from './node24.mjs';
import { localMemoryBytes, nodeOptions } from '../dist/libs/runtime/src/node-options.js';

await ensureNode24(nodeOptions(localMemoryBytes()));
await import('../dist/apps/standalone/src/main.js');
