// Runs the chosen scenarios against one server, one after the other, with one generator.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PHASES } from '../client/xmpp-connection.js';
import { Generator, range, shares } from '../load/generator.js';
import { cpuSince, cpuSnapshot, treeRssKiB } from '../load/process-stats.js';
import type { ConnectResult, StreamResult } from '../load/protocol.js';
import { Histogram } from '../stats/histogram.js';
import { addCounts, zeroCounts } from '../stats/sequence-tracker.js';
import type { BenchOptions } from './options.js';
import { generatorUse, ms, perUnit, type ScenarioResult } from './result.js';

const SETTLE_MS = 1500;
/** Upper bound when a saturated generator is grown (doubling from --workers). */
const MAX_WORKERS = 8;

const RUNNERS = { login: runLogin, msg: runMsg, idle: runIdle, muc: runMuc };

/**
 * Runs each scenario; when a generator process saturated a core, the generator is doubled (up to
 * MAX_WORKERS processes) and the scenario run again, so the figures are the server's, not ours.
 */
export async function runScenarios(o: BenchOptions, onResult: (r: ScenarioResult) => void): Promise<ScenarioResult[]> {
  let gen = Generator.start(o.workers);
  const results: ScenarioResult[] = [];
  try {
    for (const s of o.scenarios) {
      let r = await RUNNERS[s](gen, o);
      // idle measures memory, which a slow generator does not change; a second pass would also
      // start from a server whose allocator already grew.
      while (s !== 'idle' && r.generator.saturated && gen.size < MAX_WORKERS) {
        const cache = await collectScramCache(gen);
        await gen.stop();
        gen = Generator.start(Math.min(MAX_WORKERS, gen.size * 2));
        await gen.all({ op: 'cacheImport', entries: cache });
        console.error(`${o.label} ${s}: a generator process saturated a core; again with ${gen.size} processes`);
        await sleep(SETTLE_MS);
        r = await RUNNERS[s](gen, o);
      }
      results.push(r);
      onResult(r);
      await gen.all({ op: 'cacheImport', entries: await collectScramCache(gen) });
      await sleep(SETTLE_MS);
    }
  } finally {
    await gen.stop();
  }
  return results;
}

/** The SCRAM keys any generator process learned (see client/scram.ts), to share with all. */
async function collectScramCache(gen: Generator): Promise<Array<[string, string]>> {
  const all = new Map<string, string>();
  for (const { result } of await gen.all<Array<[string, string]>>({ op: 'cacheExport' })) {
    for (const [k, v] of result) all.set(k, v);
  }
  return [...all];
}

function mergeConnect(replies: Array<{ result: ConnectResult }>) {
  const phases = Object.fromEntries(PHASES.map((p) => [p, new Histogram()]));
  let connected = 0;
  const errors: string[] = [];
  let mechanism = '';
  for (const { result } of replies) {
    connected += result.connected;
    errors.push(...result.errors);
    mechanism ||= result.mechanism;
    for (const p of PHASES) phases[p]!.merge(result.phases[p]!);
  }
  return { phases, connected, errors: errors.slice(0, 5), mechanism };
}

function base(o: BenchOptions, scenario: ScenarioResult['scenario'], params: ScenarioResult['params']) {
  // The 1-minute load average: on a shared machine it says how much the figures can be trusted.
  const load = Math.round(loadavg()[0]! * 10) / 10;
  return { scenario, target: o.label, params: { ...params, loadavg_1m: load }, serverCpuPerUnitUs: {} as Record<string, number> };
}

async function runLogin(gen: Generator, o: BenchOptions): Promise<ScenarioResult> {
  const parts = shares(range(o.logins), gen.size);
  const perWorker = Math.max(1, Math.ceil(o.loginConcurrency / gen.size));
  const cpu0 = cpuSnapshot(o.serverProcesses);
  const t0 = performance.now();
  const replies = await gen.each<ConnectResult>(
    parts.map((p) => (p.length ? { op: 'login', target: o.target, from: p[0]!, count: p.length, users: o.users, concurrency: perWorker } : null)),
  );
  const wallMs = performance.now() - t0;
  const serverCpu = cpuSince(o.serverProcesses, cpu0);
  await gen.all({ op: 'closeAll' });
  const m = mergeConnect(replies);
  const metrics: Record<string, number> = {
    logins_per_s: m.connected / (wallMs / 1000),
    server_cores: sum(serverCpu) / (wallMs * 1000),
    ok: m.connected,
    failed: o.logins - m.connected,
  };
  for (const p of PHASES) {
    metrics[`${p}_p50_ms`] = ms(m.phases[p]!.quantile(0.5));
    metrics[`${p}_p99_ms`] = ms(m.phases[p]!.quantile(0.99));
  }
  return {
    ...base(o, 'login', { logins: o.logins, concurrency: o.loginConcurrency, mechanism: m.mechanism }),
    metrics,
    generator: generatorUse(
      replies.map((r) => r.usage),
      wallMs,
    ),
    serverCpuPerUnitUs: perUnit(serverCpu, m.connected),
    errors: m.errors,
  };
}

async function runStream(gen: Generator, o: BenchOptions, kind: 'msg' | 'muc'): Promise<ScenarioResult> {
  const units = kind === 'msg' ? o.pairs : o.rooms;
  const setupCmds = shares(range(units), gen.size).map((part) =>
    part.length === 0
      ? null
      : kind === 'msg'
        ? ({ op: 'msgSetup', target: o.target, pairs: part, concurrency: 20 } as const)
        : ({
            op: 'mucSetup',
            target: o.target,
            rooms: part,
            occupants: o.occupants,
            concurrency: 20,
            joinWave: o.joinWave,
            joinMsPerOccupant: o.joinMsPerOccupant,
          } as const),
  );
  const setup = mergeConnect(await gen.each<ConnectResult>(setupCmds));
  const run = {
    durationMs: o.durationS * 1000,
    warmupMs: o.warmupS * 1000,
    drainMs: 5000,
    window: o.window,
    bodyBytes: o.bodyBytes,
  };
  const active = setupCmds.map((c) => (c ? ({ op: kind === 'msg' ? 'msgRun' : 'mucRun', ...run } as const) : null));
  const cpu0 = cpuSnapshot(o.serverProcesses);
  const replies = await gen.each<StreamResult>(active);
  const serverCpu = cpuSince(o.serverProcesses, cpu0);
  const runMs = (o.warmupS + o.durationS) * 1000;
  await gen.all({ op: 'closeAll' });
  const latency = new Histogram();
  let counts = zeroCounts();
  let delivered = 0;
  let sent = 0;
  const errors = [...setup.errors];
  for (const { result } of replies) {
    latency.merge(result.latency);
    counts = addCounts(counts, result.counts);
    delivered += result.delivered;
    sent += result.sent;
    errors.push(...result.errors);
  }
  const rate = delivered / o.durationS;
  const wallMs = replies.length ? Math.max(...replies.map((r) => r.usage.wallMs)) : 1;
  const allDelivered = counts.received;
  return {
    ...base(o, kind, {
      ...(kind === 'msg' ? { pairs: o.pairs } : { rooms: o.rooms, occupants: o.occupants }),
      window: o.window,
      duration_s: o.durationS,
      connected: setup.connected,
    }),
    metrics: {
      // Nothing sent means the feature is missing (no room could be joined): no figure, not zero.
      ...(sent > 0 ? { [kind === 'msg' ? 'msgs_per_s' : 'deliveries_per_s']: rate } : {}),
      p50_ms: ms(latency.quantile(0.5)),
      p99_ms: ms(latency.quantile(0.99)),
      server_cores: sum(serverCpu) / (runMs * 1000),
      sent,
      lost: counts.lost,
      duplicates: counts.duplicates,
      out_of_order: counts.outOfOrder,
    },
    generator: generatorUse(
      replies.map((r) => r.usage),
      wallMs,
    ),
    serverCpuPerUnitUs: perUnit(serverCpu, allDelivered),
    errors: errors.slice(0, 5),
  };
}

function runMsg(gen: Generator, o: BenchOptions): Promise<ScenarioResult> {
  return runStream(gen, o, 'msg');
}

function runMuc(gen: Generator, o: BenchOptions): Promise<ScenarioResult> {
  return runStream(gen, o, 'muc');
}

async function runIdle(gen: Generator, o: BenchOptions): Promise<ScenarioResult> {
  const rss = () => o.serverProcesses.reduce((sum, p) => sum + treeRssKiB(p.pid), 0);
  // each process's share too (a cluster: how much of the growth is the edges', NATS's, the routers')
  const each = () => new Map(o.serverProcesses.map((p) => [p.name, treeRssKiB(p.pid)]));
  await o.onIdleConnected?.(0);
  const before = await stableRss(rss);
  const eachBefore = each();
  const t0 = performance.now();
  const replies = await gen.each<ConnectResult>(
    shares(range(o.idle), gen.size).map((users) => (users.length ? { op: 'idle', target: o.target, users, concurrency: 50 } : null)),
  );
  const wallMs = performance.now() - t0;
  const after = await stableRss(rss);
  const eachAfter = each();
  const m = mergeConnect(replies);
  await o.onIdleConnected?.(m.connected);
  await gen.all({ op: 'closeAll' });
  const measured = o.serverProcesses.length > 0 && m.connected > 0;
  return {
    ...base(o, 'idle', { connections: o.idle }),
    metrics: {
      connected: m.connected,
      rss_before_kib: before,
      rss_after_kib: after,
      ...(measured ? { kib_per_conn: Math.round(((after - before) / m.connected) * 10) / 10 } : {}),
      ...(measured && o.serverProcesses.length > 1
        ? Object.fromEntries(
            o.serverProcesses.map((p) => [
              `kib_per_conn_${p.name}`,
              Math.round((((eachAfter.get(p.name) ?? 0) - (eachBefore.get(p.name) ?? 0)) / m.connected) * 10) / 10,
            ]),
          )
        : {}),
    },
    generator: generatorUse(
      replies.map((r) => r.usage),
      wallMs,
    ),
    errors: measured ? m.errors : [...m.errors, 'no --server-pid: RSS not measured'],
  };
}

/** RSS once it stops moving (within 1 % over two seconds), or after 15 s. */
async function stableRss(read: () => number): Promise<number> {
  let last = read();
  for (let i = 0; i < 15; i++) {
    await sleep(2000);
    const now = read();
    if (Math.abs(now - last) <= 0.01 * last) return now;
    last = now;
  }
  return last;
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
