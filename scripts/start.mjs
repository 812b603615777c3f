// `npm start`: Glider standalone (every app in one process, embedded bus and storage) on Node 24.
import { ensureNode24 } from './node24.mjs';

await ensureNode24();
await import('../dist/apps/standalone/src/main.js');
