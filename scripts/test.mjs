// Runs every compiled test: unit specs next to the code, then the cross-app and end-to-end suites.
// Usage: node scripts/test.mjs [unit|e2e|all|chaos] (default all; chaos, the fault suite of
// test/chaos, runs only when asked: `npm run test:chaos`).
import { spawnSync } from 'node:child_process';
import { ensureNode24 } from './node24.mjs';

await ensureNode24();

const which = process.argv[2] ?? 'all';
const globs = {
  unit: ['dist/libs/**/*.spec.js', 'dist/apps/**/*.spec.js', 'dist/operator/**/*.spec.js', 'dist/bench/**/*.spec.js'],
  e2e: ['dist/test/**/*.e2e.js'],
  chaos: ['dist/test/chaos/**/*.spec.js', 'dist/test/chaos/**/*.chaos.js'],
};
const patterns = which === 'all' ? [...globs.unit, ...globs.e2e] : globs[which];
if (!patterns) {
  console.error(`unknown suite "${which}": use unit, e2e, all or chaos`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...patterns], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
