// Runs every test suite and prints how long each took:
//   unit   specs next to the code (libs, apps, operator, bench); the operator's against its emulator
//   e2e    cross-app and end-to-end tests with real clients (test/**/*.e2e.ts)
//   kube   the operator's scenarios against a real control plane (etcd, kube-apiserver,
//          kube-controller-manager from scripts/ci/install-kube.sh); skipped, saying so, when the
//          binaries are not there, except under CI (CI=true), where that is a failure
//   chaos  the fault suite: the local cluster under a numbered stream, LOST must be 0 (test/chaos)
//   sint   Smack's integration tests against standalone and the cluster (test/sint)
// Suites that share nothing run at the same time (unit+e2e with kube: the control plane has its
// own processes and ports); chaos and SINT measure under load, so they run alone, after.
// Usage: node scripts/test.mjs [unit|e2e|kube|chaos|sint|all]... (default all). Exits non-zero when
// any suite failed, after running the others (a chaos failure does not hide SINT's results).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24 } from './node24.mjs';

await ensureNode24();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const globs = {
  unit: ['dist/libs/**/*.spec.js', 'dist/apps/**/*.spec.js', 'dist/operator/**/*.spec.js', 'dist/bench/**/*.spec.js'],
  e2e: ['dist/test/**/*.e2e.js'],
  // Every operator spec that drives testing/harness.ts's TestCluster.
  kube: ['dist/operator/**/*.scenario.spec.js', 'dist/operator/src/controllers/xmppcluster/admin-token.spec.js'],
  chaos: ['dist/test/chaos/**/*.spec.js', 'dist/test/chaos/**/*.chaos.js'],
};
const nodeTest = (patterns) => [process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', ...patterns]];

/** Where install-kube.sh linked the control plane (the harness looks there too). */
function kubeBinDir() {
  if (process.env.KUBE_BIN_DIR) return process.env.KUBE_BIN_DIR;
  const tools = join(root, '.ci/.tools');
  const dirs = existsSync(tools) ? readdirSync(tools).filter((d) => /^kube-v[\d.]+-etcd-v[\d.]+$/.test(d)) : [];
  return dirs
    .sort()
    .reverse()
    .map((d) => join(tools, d))
    .find((d) => ['etcd', 'kube-apiserver', 'kube-controller-manager'].every((b) => existsSync(join(d, b))));
}

const suites = {
  unit: nodeTest(globs.unit),
  e2e: nodeTest(globs.e2e),
  kube: [...nodeTest(globs.kube), { OPERATOR_TEST_API: 'kube' }],
  chaos: nodeTest(globs.chaos),
  sint: [process.execPath, ['--enable-source-maps', 'dist/test/sint/run-sint.js']],
};
const order = ['unit', 'e2e', 'kube', 'chaos', 'sint'];

const asked = process.argv.slice(2);
const unknown = asked.filter((s) => s !== 'all' && !suites[s]);
if (unknown.length > 0) {
  console.error(`unknown suite "${unknown[0]}": use ${order.join(', ')} or all`);
  process.exit(2);
}
const run = asked.length === 0 || asked.includes('all') ? order : order.filter((s) => asked.includes(s));

// unit and e2e run in one node --test process, as they always have (one summary, one exit code).
const together = run.includes('unit') && run.includes('e2e');
const step = (s) => [s, suites[s]];
const first = together ? [['unit+e2e', nodeTest([...globs.unit, ...globs.e2e])]] : run.filter((s) => s === 'unit' || s === 'e2e').map(step);
// Waves run one after the other; the suites of a wave at the same time.
const waves = [[...first, ...run.filter((s) => s === 'kube').map(step)], ...run.filter((s) => s === 'chaos' || s === 'sint').map((s) => [step(s)])].filter(
  (w) => w.length > 0,
);

const results = [];
const skipped = [];
for (const wave of waves) {
  const started = [];
  for (const [name, [cmd, args, env]] of wave) {
    if (name === 'kube') {
      const dir = kubeBinDir();
      if (!dir) {
        const why = 'no kube-apiserver/etcd binaries: run scripts/ci/install-kube.sh';
        if (process.env.CI === 'true') results.push({ name, code: 1, seconds: 0, why });
        else skipped.push({ name, why });
        continue;
      }
      env.KUBE_BIN_DIR = dir;
    }
    started.push(runSuite(name, cmd, args, env, wave.length > 1));
  }
  results.push(...(await Promise.all(started)));
}

console.log('\n== test suites');
for (const r of results) console.log(`  ${r.name.padEnd(9)} ${r.code === 0 ? 'passed' : `FAILED (${r.why ?? `exit ${r.code}`})`} in ${r.seconds} s`);
for (const s of skipped) console.log(`  ${s.name.padEnd(9)} skipped (${s.why})`);
const failed = results.filter((r) => r.code !== 0).length;
console.log(`suites: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

/** Runs one suite; beside another, each of its output lines is prefixed with the suite's name. */
function runSuite(name, cmd, args, env, prefixed) {
  console.log(`\n== test suite ${name}`);
  const began = Date.now();
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: prefixed ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  if (prefixed) {
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let rest = '';
      from.on('data', (d) => {
        const lines = (rest + d).split('\n');
        rest = lines.pop();
        for (const l of lines) to.write(`[${name}] ${l}\n`);
      });
      from.on('end', () => rest && to.write(`[${name}] ${rest}\n`));
    }
  }
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ name, code: code ?? 1, seconds: Math.round((Date.now() - began) / 1000), why: signal ? signal : undefined })),
  );
}
