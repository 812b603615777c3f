// Runs every test suite and prints how long each took:
//   unit   specs next to the code (libs, apps, operator, bench); the operator's against its emulator
//   e2e    cross-app and end-to-end tests with real clients (test/**/*.e2e.ts)
//   kube   the operator's scenarios against a real control plane (etcd, kube-apiserver,
//          kube-controller-manager from scripts/ci/install-kube.sh); skipped, saying so, when the
//          binaries are not there, except under CI (CI=true), where that is a failure
//   chaos  the fault suite: the local cluster under a numbered stream, LOST must be 0 (test/chaos)
//   sint   Smack's integration tests against standalone and the cluster (test/sint)
// The unit and e2e files run in TEST_SHARDS shards (default 4) side by side, each shard one
// `node --test` running its files one at a time: a test file spends most of its time waiting
// (processes starting, TLS, real clients), not on the CPU. Files are dealt to the shards longest
// first by their last measured time (scripts/test-durations.json; `--save-durations` rewrites it
// from this run). A file whose source has a line `// e2e: serial <why>` (it takes a fixed port or
// path) goes to the first shard, so two such files never run at once. kube runs beside them (the
// control plane has its own processes and ports; every test file takes free ports, see
// libs/testing freePort); chaos and SINT measure under load, so they run alone, after.
// Usage: node scripts/test.mjs [unit|e2e|kube|chaos|sint|all]... [--save-durations] (default all).
// Exits non-zero when any suite failed, after running the others (a chaos failure does not hide
// SINT's results).
import { spawn } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
/** Where each test file's time goes (scripts/test-file-times.mjs writes one JSON line per file). */
const timesDir = mkdtempSync(join(tmpdir(), 'glider-test-times-'));
process.on('exit', () => rmSync(timesDir, { recursive: true, force: true }));
const nodeTest = (name, patterns) => [
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    // one file at a time in each shard, on any machine (the default is one less than the cores):
    // the serial files share the first shard, and TEST_SHARDS says how many run at once
    '--test-concurrency=1',
    ...['--test-reporter=spec', '--test-reporter-destination=stdout'],
    ...['--test-reporter=./scripts/test-file-times.mjs', `--test-reporter-destination=${join(timesDir, `${name}.jsonl`)}`],
    ...patterns,
  ],
];
const durationsFile = join(root, 'scripts/test-durations.json');
const SHARDS = Math.max(1, Number(process.env.TEST_SHARDS ?? 4));

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

/** Whether a test file must not run beside another such file: its source says `// e2e: serial`. */
function serial(distFile) {
  const source = join(root, distFile.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
  return existsSync(source) && /^\/\/ e2e: serial\b/m.test(readFileSync(source, 'utf8'));
}

/**
 * The files of `patterns` dealt to SHARDS shards: the serial ones all to the first, then the
 * others longest first, each to the shard with the least time so far (a file not measured yet
 * counts as the mean of those of its kind, unit or e2e, that were).
 */
function shardsOf(patterns) {
  const files = [...new Set(globSync(patterns, { cwd: root }))].sort();
  const known = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {};
  const kind = (f) => (f.startsWith('dist/test/') ? 'e2e' : 'unit');
  const mean = (k) => {
    const m = files.filter((f) => kind(f) === k && typeof known[f] === 'number').map((f) => known[f]);
    return m.length > 0 ? m.reduce((x, y) => x + y, 0) / m.length : k === 'e2e' ? 60 : 2;
  };
  const guess = { unit: mean('unit'), e2e: mean('e2e') };
  const cost = (f) => known[f] ?? guess[kind(f)];
  const shards = Array.from({ length: Math.min(SHARDS, files.length) }, () => ({ files: [], seconds: 0 }));
  const deal = (shard, f) => {
    shard.files.push(f);
    shard.seconds += cost(f);
  };
  const pinned = files.filter(serial);
  for (const f of pinned) deal(shards[0], f);
  const least = () => shards.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  for (const f of files.filter((f) => !pinned.includes(f)).sort((a, b) => cost(b) - cost(a))) deal(least(), f);
  return { shards: shards.filter((s) => s.files.length > 0), pinned };
}

const suites = {
  kube: [...nodeTest('kube', globs.kube), { OPERATOR_TEST_API: 'kube' }],
  chaos: nodeTest('chaos', globs.chaos),
  sint: [process.execPath, ['--enable-source-maps', 'dist/test/sint/run-sint.js']],
};
const order = ['unit', 'e2e', 'kube', 'chaos', 'sint'];

const { values: opts, positionals: asked } = parseArgs({ allowPositionals: true, options: { 'save-durations': { type: 'boolean', default: false } } });
const unknown = asked.filter((s) => s !== 'all' && !order.includes(s));
if (unknown.length > 0) {
  console.error(`unknown suite "${unknown[0]}": use ${order.join(', ')} or all`);
  process.exit(2);
}
const run = asked.length === 0 || asked.includes('all') ? order : order.filter((s) => asked.includes(s));

const step = (s) => [s, suites[s]];
const pooled = run.filter((s) => s === 'unit' || s === 'e2e');
const pool = shardsOf(pooled.flatMap((s) => globs[s]));
const label = pooled.join('+');
const shardSteps = pool.shards.map((s, i) => [`${label}-${i + 1}`, nodeTest(`${label}-${i + 1}`, s.files)]);
if (shardSteps.length > 0) {
  console.log(`${label}: ${pool.shards.reduce((n, s) => n + s.files.length, 0)} files in ${shardSteps.length} shards (TEST_SHARDS)`);
  pool.shards.forEach((s, i) => console.log(`  ${label}-${i + 1}: ${s.files.length} files, about ${Math.round(s.seconds)} s by their last times`));
  if (pool.pinned.length > 0) console.log(`  one at a time in ${label}-1 (// e2e: serial): ${pool.pinned.join(' ')}`);
}
// Waves run one after the other; the suites of a wave at the same time.
const waves = [[...shardSteps, ...run.filter((s) => s === 'kube').map(step)], ...run.filter((s) => s === 'chaos' || s === 'sint').map((s) => [step(s)])].filter(
  (w) => w.length > 0,
);

const results = [];
const skipped = [];
for (const wave of waves) {
  const began = Date.now();
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
  if (started.length > 1)
    results.push({ name: `(${wave.map(([n]) => n).join(', ')} side by side)`, wave: true, seconds: Math.round((Date.now() - began) / 1000) });
}

const files = readdirSync(timesDir).flatMap((f) =>
  readFileSync(join(timesDir, f), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ ...JSON.parse(l), step: f.replace(/\.jsonl$/, '') })),
);
console.log('\n== test suites');
for (const r of results) {
  if (r.wave) console.log(`  ${r.name} in ${r.seconds} s`);
  else console.log(`  ${r.name.padEnd(12)} ${r.code === 0 ? 'passed' : `FAILED (${r.why ?? `exit ${r.code}`})`} in ${r.seconds} s`);
}
for (const s of skipped) console.log(`  ${s.name.padEnd(12)} skipped (${s.why})`);
const slowest = files.filter((f) => f.file.startsWith('dist/test/')).sort((a, b) => b.seconds - a.seconds);
if (slowest.length > 0)
  console.log(
    `  slowest e2e files: ${slowest
      .slice(0, 5)
      .map((f) => `${f.file.replace(/^dist\/test\//, '')} ${Math.round(f.seconds)} s`)
      .join(', ')}`,
  );
for (const f of files.filter((f) => !f.passed)) console.log(`  failed file: ${f.file} (${f.seconds} s)`);
if (opts['save-durations']) saveDurations(files.filter((f) => shardSteps.some(([name]) => f.step === name)));
const failed = results.filter((r) => !r.wave && r.code !== 0).length;
console.log(`suites: ${results.filter((r) => !r.wave).length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

/** Writes this run's unit and e2e file times into scripts/test-durations.json (files not run keep theirs). */
function saveDurations(measured) {
  const known = existsSync(durationsFile) ? JSON.parse(readFileSync(durationsFile, 'utf8')) : {};
  for (const f of measured) known[f.file] = Math.round(f.seconds * 10) / 10;
  const sorted = Object.fromEntries(
    Object.keys(known)
      .sort()
      .map((k) => [k, known[k]]),
  );
  writeFileSync(durationsFile, JSON.stringify(sorted, null, 2) + '\n');
  console.log(`  ${measured.length} file times saved to scripts/test-durations.json`);
}

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
