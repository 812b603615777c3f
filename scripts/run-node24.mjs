// `node scripts/run-node24.mjs <script.js> [args...]`: runs a compiled entry point on Node 24,
// fetching it first when this machine's Node is older (see node24.mjs). The npm scripts use it.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { ensureNode24 } from './node24.mjs';

await ensureNode24();
const [script, ...rest] = process.argv.slice(2);
if (!script) {
  console.error('usage: node scripts/run-node24.mjs <script.js> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(script), ...rest];
await import(pathToFileURL(resolve(script)).href);
