// The soak's report: one row per minute of the rate phase (the "plots as numbers" of
// docs/performance.md, "Soak"), then the flatness verdicts over the steady phase.
import { Histogram } from '../stats/histogram.js';
import type { RateInterval } from '../load/protocol.js';
import type { Sample } from './sampler.js';
import { flatness, renderVerdict, type FlatRule, type Verdict } from './trend.js';

export interface SoakRules {
  rss: FlatRule;
  lagP99: FlatRule;
  gcPause: FlatRule;
}

export const DEFAULT_RULES: SoakRules = {
  // 2 % of ~2 GB over 10 min at 2,000 msgs/s is ~30 bytes per message: a per-message leak shows
  rss: { relative: 0.02, absolute: 0 },
  lagP99: { relative: 0.5, absolute: 5 },
  gcPause: { relative: 0.5, absolute: 5 },
};

const sumValues = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

/** GC pause milliseconds between consecutive samples, attributed to the later one. */
export function gcPauseDeltasMs(samples: readonly Sample[]): number[] {
  return samples.map((s, i) => (i === 0 ? 0 : Math.max(0, (sumValues(s.gcSeconds) - sumValues(samples[i - 1]!.gcSeconds)) * 1000)));
}

export interface MinuteRow {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  fds: number;
  lagP99Ms: number;
  lagMaxMs: number;
  gcMinorMs: number;
  gcMajorMs: number;
  gcCount: number;
  serverCores: number;
  sentPerS: number;
  deliveredPerS: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Rows per minute from `rateStart` (seconds on the samples' clock). The RSS is the minute's last
 * sample; lag the worst window of the minute; GC and CPU what the minute spent; rates and latency
 * from the generator's intervals (by send time).
 */
export function minuteRows(samples: readonly Sample[], intervals: readonly RateInterval[], intervalS: number, rateStart: number): MinuteRow[] {
  const rows: MinuteRow[] = [];
  const perMinute = Math.max(1, Math.round(60 / intervalS));
  const minutes = Math.ceil(intervals.length / perMinute);
  for (let m = 0; m < minutes; m++) {
    const from = rateStart + m * 60;
    const to = Math.min(rateStart + (m + 1) * 60, rateStart + intervals.length * intervalS);
    const inMinute = samples.filter((s) => s.t > from && s.t <= to + 0.5);
    const before = [...samples].reverse().find((s) => s.t <= from) ?? samples[0];
    const last = inMinute[inMinute.length - 1];
    if (!last || !before) continue;
    const slice = intervals.slice(m * perMinute, (m + 1) * perMinute);
    const latency = new Histogram();
    for (const i of slice) latency.merge(i.latency);
    const seconds = slice.length * intervalS;
    const gc = (kind: string) => ((last.gcSeconds[kind] ?? 0) - (before.gcSeconds[kind] ?? 0)) * 1000;
    rows.push({
      minute: m + 1,
      rssMiB: last.rssKiB / 1024,
      heapMiB: last.heapUsedBytes / 1048576,
      fds: last.fds,
      lagP99Ms: Math.max(...inMinute.map((s) => s.lagP99Ms)),
      lagMaxMs: Math.max(...inMinute.map((s) => s.lagMaxMs)),
      gcMinorMs: gc('minor'),
      gcMajorMs: gc('major') + gc('incremental') + gc('weakcb'),
      gcCount: sumValues(last.gcCount) - sumValues(before.gcCount),
      serverCores: (last.cpuUs - before.cpuUs) / ((last.t - before.t) * 1e6),
      sentPerS: slice.reduce((a, i) => a + i.sent, 0) / seconds,
      deliveredPerS: slice.reduce((a, i) => a + i.delivered, 0) / seconds,
      p50Ms: latency.quantile(0.5) / 1000,
      p99Ms: latency.quantile(0.99) / 1000,
    });
  }
  return rows;
}

export function renderMinutes(rows: readonly MinuteRow[]): string {
  const head =
    '| min | RSS MiB | heap MiB | fds | lag p99 ms | lag max ms | GC minor ms | GC major ms | GCs | server cores | sent/s | delivered/s | p50 ms | p99 ms |';
  const sep = `|${head
    .split('|')
    .slice(1, -1)
    .map(() => '--:')
    .join('|')}|`;
  const f = (v: number, d = 1) => v.toFixed(d);
  const lines = rows.map(
    (r) =>
      `| ${r.minute} | ${f(r.rssMiB)} | ${f(r.heapMiB)} | ${r.fds} | ${f(r.lagP99Ms)} | ${f(r.lagMaxMs)} | ${f(r.gcMinorMs, 0)} | ${f(r.gcMajorMs, 0)} | ${r.gcCount} | ${f(r.serverCores, 2)} | ${f(r.sentPerS, 0)} | ${f(r.deliveredPerS, 0)} | ${f(r.p50Ms)} | ${f(r.p99Ms)} |`,
  );
  return [head, sep, ...lines].join('\n');
}

/** The three flatness verdicts over the steady-phase samples (t in seconds). */
export function verdicts(samples: readonly Sample[], rules: SoakRules): { verdicts: Verdict[]; lines: string[] } {
  const steady = samples.filter((s) => s.phase === 'steady');
  const deltas = gcPauseDeltasMs(samples);
  const all = samples.map((s, i) => ({ s, gc: deltas[i]! }));
  const steadyGc = all.filter(({ s }) => s.phase === 'steady').slice(1); // the first delta reaches back into the warm-up
  const xs = steady.map((s) => s.t);
  const v = [
    flatness(
      'RSS',
      'MiB',
      xs,
      steady.map((s) => s.rssKiB / 1024),
      rules.rss,
    ),
    flatness(
      'event-loop lag p99',
      'ms',
      xs,
      steady.map((s) => s.lagP99Ms),
      rules.lagP99,
    ),
    flatness(
      'GC pause per sample interval',
      'ms',
      steadyGc.map(({ s }) => s.t),
      steadyGc.map(({ gc }) => gc),
      rules.gcPause,
    ),
  ];
  return { verdicts: v, lines: v.map((x, i) => renderVerdict(x, [rules.rss, rules.lagP99, rules.gcPause][i]!)) };
}
