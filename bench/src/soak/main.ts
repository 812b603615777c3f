// `npm run bench:soak`: issue 16's soak. Glider standalone holds --connections idle authenticated
// connections while --pairs pairs exchange a steady --rate msgs/s for --duration seconds (after a
// --warmup); every --interval seconds the server's RSS, CPU, fds (/proc) and its event-loop lag
// p99 and GC pauses (its /metrics) are sampled. Prints one row per minute and whether RSS, lag and
// GC stayed flat over the steady phase (a linear fit; a pass/fail line, not a test).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Generator, range, shares } from '../load/generator.js';
import type { ConnectResult, RateResult, TargetSpec } from '../load/protocol.js';
import { Histogram } from '../stats/histogram.js';
import { addCounts, zeroCounts } from '../stats/sequence-tracker.js';
import { startGliderStandalone } from '../targets/glider.js';
import type { RunningTarget } from '../targets/target.js';
import { limitProblems, readMachine, sourceAddressesFor } from './limits.js';
import { DEFAULT_RULES, minuteRows, renderMinutes, verdicts } from './report.js';
import { takeSample, type Sample } from './sampler.js';

const HELP = `usage: npm run bench:soak -- [options]   (starts Glider standalone itself; ≈ accounts + connect + warm-up + duration)
  --connections 20000   idle authenticated connections (STARTTLS, TLS 1.3, SCRAM-SHA-256, bind, presence)
  --rate 2000           msgs/s, steady, open loop, over --pairs sender→receiver pairs (100)
  --duration 600 (s)    the steady phase the verdicts judge, after --warmup 30 (s)
  --interval 10 (s)     sampling period (also the server's event-loop lag window)
  --workers 4           generator processes   --source-addresses N (127.0.0.1…N; default: enough for the ephemeral ports)
  --connect-concurrency 40 (logins in flight per generator process)   --keepalive 120 (s, idle clients' whitespace)
  --body-bytes 64   --keep-dirs   --json (also print every sample as JSON)`;

const LOGIN_TIMEOUT_MS = 60_000;
/** Share of --rate the steady phase must deliver for the run to count as the soak asked for. */
const RATE_REACHED = 0.95;

function options() {
  const { values: v } = parseArgs({
    options: {
      connections: { type: 'string', default: '20000' },
      rate: { type: 'string', default: '2000' },
      pairs: { type: 'string', default: '100' },
      duration: { type: 'string', default: '600' },
      warmup: { type: 'string', default: '30' },
      interval: { type: 'string', default: '10' },
      workers: { type: 'string', default: '4' },
      'source-addresses': { type: 'string' },
      'connect-concurrency': { type: 'string', default: '40' },
      keepalive: { type: 'string', default: '120' },
      'body-bytes': { type: 'string', default: '64' },
      'keep-dirs': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    process.exit(0);
  }
  const num = (name: keyof typeof v, min: number): number => {
    const n = Number(v[name]);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, not ${String(v[name])}`);
    return n;
  };
  const o = {
    connections: num('connections', 0),
    rate: num('rate', 0),
    pairs: num('pairs', 1),
    durationS: num('duration', 1),
    warmupS: num('warmup', 0),
    intervalS: num('interval', 1),
    workers: num('workers', 1),
    connectConcurrency: num('connect-concurrency', 1),
    keepaliveS: num('keepalive', 0),
    bodyBytes: num('body-bytes', 1),
    keepDirs: v['keep-dirs'],
    json: v.json,
    sourceAddresses: 0,
  };
  const machine = readMachine();
  o.sourceAddresses = v['source-addresses'] ? num('source-addresses', 1) : sourceAddressesFor(o.connections + 2 * o.pairs, machine);
  return { o, machine };
}

let target: RunningTarget | undefined;
let gen: Generator | undefined;

async function main(): Promise<void> {
  const { o, machine } = options();
  const problems = limitProblems({ connections: o.connections, pairs: o.pairs, workers: o.workers, sourceAddresses: o.sourceAddresses }, machine);
  if (problems.length) {
    console.error(`soak: this machine cannot hold the run:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'glider-soak-'));
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  console.log(
    `soak: ${o.connections} idle + ${o.pairs} pairs at ${o.rate} msgs/s for ${o.durationS} s (+${o.warmupS} s warm-up), sample every ${o.intervalS} s; ` +
      `fd hard limit ${machine.fdHardLimit}, ${o.sourceAddresses} source address(es), ${o.workers} generator processes, load ${loadavg()[0]!.toFixed(1)}`,
  );
  const users = o.connections + 2 * o.pairs;
  const started = await startGliderStandalone({
    dir,
    domain: 'localhost',
    userPrefix: 'soak',
    password: 'secret',
    users,
    env: { GLIDER_TELEMETRY__EVENT_LOOP_LAG_WINDOW_MS: String(o.intervalS * 1000) },
  });
  if (!started.ok) throw new Error(`glider: ${started.reason}`);
  target = started.target;
  const pid = target.processes[0]!.pid;
  const metricsUrl = target.metricsUrl!;
  console.log(`soak: standalone pid ${pid} up with ${users} accounts after ${elapsed().toFixed(0)} s (${metricsUrl})`);

  // The sampler runs from now to the end, on its own grid; the phase says what the load was.
  const samples: Sample[] = [];
  let phase: Sample['phase'] = 'connect';
  let sampling = true;
  const sampler = (async () => {
    for (let k = 0; sampling; k++) {
      samples.push(await takeSample(pid, metricsUrl, elapsed(), phase));
      await sleep(t0 + (k + 1) * o.intervalS * 1000 - Date.now());
    }
  })();

  const spec: TargetSpec = {
    host: target.host,
    port: target.port,
    domain: target.domain,
    userPrefix: 'soak',
    password: 'secret',
    mucDomain: target.mucDomain,
    timeoutMs: LOGIN_TIMEOUT_MS,
    localAddresses: Array.from({ length: o.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`),
  };
  gen = Generator.start(o.workers);
  const connectStart = elapsed();
  const rssBefore = (await takeSample(pid, metricsUrl, elapsed(), phase)).rssKiB;
  const idle = await gen.each<ConnectResult>(
    shares(range(o.connections, 2 * o.pairs), gen.size).map((u) =>
      u.length ? { op: 'idle', target: spec, users: u, concurrency: o.connectConcurrency } : null,
    ),
  );
  const connected = idle.reduce((a, r) => a + r.result.connected, 0);
  const connectS = elapsed() - connectStart;
  const rssIdle = (await takeSample(pid, metricsUrl, elapsed(), phase)).rssKiB;
  console.log(
    `soak: ${connected}/${o.connections} idle connected in ${connectS.toFixed(0)} s (${(connected / connectS).toFixed(0)}/s); ` +
      `RSS ${(rssBefore / 1024).toFixed(0)} → ${(rssIdle / 1024).toFixed(0)} MiB, ${connected ? ((rssIdle - rssBefore) / connected).toFixed(1) : '-'} KiB per connection` +
      (idle.some((r) => r.result.errors.length)
        ? `; errors: ${idle
            .flatMap((r) => r.result.errors)
            .slice(0, 3)
            .join(' | ')}`
        : ''),
  );
  const pairShares = shares(range(o.pairs), gen.size);
  const setup = await gen.each<ConnectResult>(pairShares.map((p) => (p.length ? { op: 'msgSetup', target: spec, pairs: p, concurrency: 20 } : null)));
  const pairsUp = setup.reduce((a, r) => a + r.result.connected, 0) / 2;
  if (pairsUp < o.pairs)
    console.log(
      `soak: only ${pairsUp} of ${o.pairs} pairs connected: ${setup
        .flatMap((r) => r.result.errors)
        .slice(0, 3)
        .join(' | ')}`,
    );

  const startAtEpochMs = Date.now() + 2000;
  const rateStart = (startAtEpochMs - t0) / 1000;
  const runMs = (o.warmupS + o.durationS) * 1000;
  const phaseTimer = setTimeout(() => (phase = 'warmup'), startAtEpochMs - Date.now());
  const steadyTimer = setTimeout(() => (phase = 'steady'), startAtEpochMs + o.warmupS * 1000 - Date.now());
  const runs = await gen.each<RateResult>(
    pairShares.map((p) =>
      p.length
        ? {
            op: 'rateRun',
            ratePerS: (o.rate * p.length) / o.pairs,
            startAtEpochMs,
            durationMs: runMs,
            intervalMs: o.intervalS * 1000,
            drainMs: 10_000,
            bodyBytes: o.bodyBytes,
            maxInFlight: Math.max(100, (o.rate * 5 * p.length) / o.pairs),
            keepaliveMs: o.keepaliveS * 1000,
          }
        : null,
    ),
  );
  clearTimeout(phaseTimer);
  clearTimeout(steadyTimer);
  sampling = false;
  await sampler;
  await gen.all({ op: 'closeAll' });
  await gen.stop();
  gen = undefined;
  await target.stop();
  target = undefined;

  // merge the generator processes' intervals (same grid)
  const intervals = runs[0]!.result.intervals.map((_, i) => {
    const latency = new Histogram();
    let sent = 0;
    let delivered = 0;
    let held = 0;
    for (const r of runs) {
      const x = r.result.intervals[i]!;
      latency.merge(x.latency);
      sent += x.sent;
      delivered += x.delivered;
      held += x.held;
    }
    return { sent, delivered, held, latency: latency.toJSON() };
  });
  let counts = zeroCounts();
  for (const r of runs) counts = addCounts(counts, r.result.counts);
  const sent = runs.reduce((a, r) => a + r.result.sent, 0);
  const idleLost = runs.reduce((a, r) => a + r.result.idleLost, 0);
  const idleOpen = runs.reduce((a, r) => a + r.result.idleOpen, 0);
  const held = intervals.reduce((a, i) => a + i.held, 0);
  const errors = runs.flatMap((r) => r.result.errors).slice(0, 5);

  const rows = minuteRows(samples, intervals, o.intervalS, rateStart);
  const { lines } = verdicts(samples, DEFAULT_RULES);
  const steadyIntervals = intervals.slice(Math.round(o.warmupS / o.intervalS));
  const steadyLatency = new Histogram();
  for (const i of steadyIntervals) steadyLatency.merge(i.latency);
  const steadyRate = steadyIntervals.reduce((a, i) => a + i.delivered, 0) / (steadyIntervals.length * o.intervalS);
  console.log(`\n${renderMinutes(rows)}\n`);
  console.log(
    `steady phase: ${steadyRate.toFixed(0)} msgs/s delivered of ${o.rate} asked, p50 ${(steadyLatency.quantile(0.5) / 1000).toFixed(1)} / p99 ${(steadyLatency.quantile(0.99) / 1000).toFixed(1)} ms; ` +
      `sent ${sent}, lost ${counts.lost}, duplicates ${counts.duplicates}, out of order ${counts.outOfOrder}, held back (in-flight cap) ${held}; ` +
      `idle connections still open ${idleOpen}, closed by the server or the network ${idleLost}; load ${loadavg()[0]!.toFixed(1)}`,
  );
  if (errors.length) console.log(`errors: ${errors.join(' | ')}`);
  for (const l of lines) console.log(l);
  const clean = counts.lost === 0 && counts.duplicates === 0 && counts.outOfOrder === 0 && idleLost === 0;
  console.log(`${clean ? 'PASS' : 'FAIL'} delivery: nothing lost, duplicated or reordered, no idle connection dropped`);
  // The soak's premise is the rate: below it the flatness lines judge a lighter load than asked.
  const reached = steadyRate >= RATE_REACHED * o.rate;
  console.log(
    `${reached ? 'PASS' : 'FAIL'} rate: ${steadyRate.toFixed(0)} of ${o.rate} msgs/s delivered in the steady phase (at least ${RATE_REACHED * 100} % asked)` +
      (held ? `; ${held} sends held back while ${Math.round(o.rate * 5)} were in flight (the server, or the machine, did not keep up)` : ''),
  );
  if (o.json)
    console.log(JSON.stringify({ bench: 'glider', scenario: 'soak', params: o, rows, samples, intervals: intervals.map(({ latency: _l, ...i }) => i) }));
  if (!o.keepDirs) rmSync(dir, { recursive: true, force: true });
  else console.log(`soak: files kept in ${dir}`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

const stopAndExit = async (code: number) => {
  await gen?.stop();
  await target?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stopAndExit(130));
process.on('SIGTERM', () => void stopAndExit(143));

main().catch(async (err) => {
  console.error(err instanceof Error ? err.stack : err);
  await stopAndExit(1);
});
