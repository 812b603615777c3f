// Runs every test suite, one after the other, and prints how long each took:
//   unit   specs next to the code (libs, apps, operator, bench)
//   e2e    cross-app and end-to-end tests with real clients (test/**/*.e2e.ts)
//   chaos  the fault suite: the local cluster under a numbered stream, LOST must be 0 (test/chaos)
//   sint   Smack's integration tests against standalone and the cluster (test/sint)
// Usage: node scripts/test.mjs [unit|e2e|chaos|sint|all]... (default all). Exits non-zero when any
// suite failed, after running the others (a chaos failure does not hide SINT's results).
import { spawnSync } from 'node:child_process';
import { ensureNode24 } from './node24.mjs';

await ensureNode24();

const globs = {
  unit: ['dist/libs/**/*.spec.js', 'dist/apps/**/*.spec.js', 'dist/operator/**/*.spec.js', 'dist/bench/**/*.spec.js'],
  e2e: ['dist/test/**/*.e2e.js'],
  chaos: ['dist/test/chaos/**/*.spec.js', 'dist/test/chaos/**/*.chaos.js'],
};
const nodeTest = (patterns) => [process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...patterns]];
const suites = {
  unit: nodeTest(globs.unit),
  e2e: nodeTest(globs.e2e),
  chaos: nodeTest(globs.chaos),
  sint: [process.execPath, ['--enable-source-maps', 'dist/test/sint/run-sint.js']],
};
const order = ['unit', 'e2e', 'chaos', 'sint'];

const asked = process.argv.slice(2);
const unknown = asked.filter((s) => s !== 'all' && !suites[s]);
if (unknown.length > 0) {
  console.error(`unknown suite "${unknown[0]}": use ${order.join(', ')} or all`);
  process.exit(2);
}
const run = asked.length === 0 || asked.includes('all') ? order : order.filter((s) => asked.includes(s));

// unit and e2e run in one node --test process, as they always have (one summary, one exit code).
const together = run.includes('unit') && run.includes('e2e');
const steps = together
  ? [['unit+e2e', nodeTest([...globs.unit, ...globs.e2e])], ...run.filter((s) => s !== 'unit' && s !== 'e2e').map((s) => [s, suites[s]])]
  : run.map((s) => [s, suites[s]]);

const results = [];
for (const [name, [cmd, args]] of steps) {
  console.log(`\n== test suite ${name}`);
  const began = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  results.push({ name, code: r.status ?? 1, seconds: Math.round((Date.now() - began) / 1000) });
}
console.log('\n== test suites');
for (const r of results) console.log(`  ${r.name.padEnd(9)} ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${r.seconds} s`);
const failed = results.filter((r) => r.code !== 0).length;
console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
