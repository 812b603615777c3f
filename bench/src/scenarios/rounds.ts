// `bench:compare --rounds N`: every target runs N times, alternating, and the verdicts are judged on
// each figure's median. This machine's speed moves between phases by up to 2 × within minutes (the
// same standalone run measured 15.4 and 28.2 µs per stanza ten minutes apart, docs/performance.md),
// so one run of each target, minutes apart, can judge a ratio on the phases rather than the servers.
// Rounds run the targets in turn and reverse the order every other round (A B C, C B A, A B C …),
// so a drift of the machine during a round weighs on every target alike.
import { median } from '../stats/median.js';
import type { ScenarioResult } from './result.js';

/** The targets' order in round `round` (0-based): as given, reversed every other round. */
export function roundOrder<T>(runs: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...runs] : [...runs].reverse();
}

/** Counts over the whole run (added up across rounds, never a median: one loss in one round shows). */
const SUMMED = new Set(['sent', 'lost', 'duplicates', 'out_of_order', 'ok', 'failed']);

const cpuTotal = (r: ScenarioResult): number => Object.values(r.serverCpuPerUnitUs).reduce((a, b) => a + b, 0);

/**
 * One result per target and scenario out of its rounds' results (in the order first seen): each
 * metric the median of the rounds that measured it (latencies rounded to 10 µs), counts (sent, lost, duplicates, out of order,
 * logins ok and failed) added up; CPU per unit is the breakdown of the round whose total is the
 * median (a lower median for an even count), so its processes add up to a total one round
 * measured; the generator's busiest process is the busiest of any round, saturated if any was;
 * errors of every round (the first five). `params.rounds` says how many rounds there were.
 */
export function medianResults(results: readonly ScenarioResult[]): ScenarioResult[] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const key = `${r.target}\u0000${r.scenario}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((rounds) => {
    const first = rounds[0]!;
    const metrics: Record<string, number> = {};
    for (const name of new Set(rounds.flatMap((r) => Object.keys(r.metrics)))) {
      const values = rounds.map((r) => r.metrics[name]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (values.length === 0) continue;
      // latencies to the 10 µs the rounds print them with (an even count's median is a mean of two)
      metrics[name] = SUMMED.has(name) ? values.reduce((a, b) => a + b, 0) : name.endsWith('_ms') ? Math.round(median(values) * 100) / 100 : median(values);
    }
    const byCpu = [...rounds].sort((a, b) => cpuTotal(a) - cpuTotal(b));
    const cpuRound = byCpu[(byCpu.length - 1) >> 1]!;
    const { round: _round, ...params } = first.params;
    return {
      scenario: first.scenario,
      target: first.target,
      params: { ...params, loadavg_1m: median(rounds.map((r) => Number(r.params.loadavg_1m ?? 0))), rounds: rounds.length },
      metrics,
      generator: {
        processes: first.generator.processes,
        cores: median(rounds.map((r) => r.generator.cores)),
        busiest: Math.max(...rounds.map((r) => r.generator.busiest)),
        saturated: rounds.some((r) => r.generator.saturated),
      },
      serverCpuPerUnitUs: { ...cpuRound.serverCpuPerUnitUs },
      errors: [...new Set(rounds.flatMap((r) => r.errors))].slice(0, 5),
    };
  });
}

/**
 * The cluster's two ratios to standalone, round by round (each pair measured minutes apart at
 * most): how far one round's verdict can be from another's on this machine.
 */
export function renderRoundRatios(results: readonly ScenarioResult[]): string {
  const rounds = [...new Set(results.map((r) => r.params.round).filter((r) => r !== undefined))].sort((a, b) => Number(a) - Number(b));
  const get = (round: number | string, s: string, t: string) => results.find((r) => r.params.round === round && r.scenario === s && r.target === t);
  const lines: string[] = [];
  const cpu = rounds.flatMap((n) => {
    const [c, g] = [get(n, 'msg', 'glider-cluster'), get(n, 'msg', 'glider')];
    return c && g && cpuTotal(g) > 0 ? [cpuTotal(c) / cpuTotal(g)] : [];
  });
  if (cpu.length > 0)
    lines.push(
      `cluster CPU µs per routed stanza / standalone's, by round: ${cpu.map((x) => `${x.toFixed(2)}×`).join(', ')}; median ${median(cpu).toFixed(2)}×`,
    );
  const logins = rounds.flatMap((n) => {
    const [c, g] = [get(n, 'login', 'glider-cluster'), get(n, 'login', 'glider')];
    return c?.metrics.logins_per_s && g?.metrics.logins_per_s ? [g.metrics.logins_per_s / c.metrics.logins_per_s] : [];
  });
  if (logins.length > 0)
    lines.push(`standalone logins/s / the cluster's, by round: ${logins.map((x) => `${x.toFixed(2)}×`).join(', ')}; median ${median(logins).toFixed(2)}×`);
  return lines.join('\n');
}
