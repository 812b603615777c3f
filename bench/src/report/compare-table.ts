// The comparison table of `bench:compare`: Glider against the best anchor (Prosody, ejabberd) per
// scenario, with the issue's targets marked met or not. Targets live here only, never in tests.
import type { ScenarioName, ScenarioResult } from '../scenarios/result.js';
import { headline } from './table.js';

const ANCHORS = ['prosody', 'ejabberd'];

interface Goal {
  /** Higher is better, except memory. */
  lowerIsBetter?: boolean;
  absolute: number;
  ratio: number;
  p99Ms?: number;
}

/** Glider standalone targets from issue 4 (2-core machine, TLS 1.3 + SCRAM). */
const GOALS: Partial<Record<ScenarioName, Goal>> = {
  msg: { absolute: 40_000, ratio: 1.5, p99Ms: 30 },
  login: { absolute: 600, ratio: 1.5 },
  idle: { absolute: 25, ratio: 1.5, lowerIsBetter: true },
  muc: { absolute: 0, ratio: 1.5 },
};

const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d }));

function judge(goal: Goal | undefined, value: number | undefined, best: number | undefined, p99: number | undefined): string {
  if (!goal || value === undefined || Number.isNaN(value)) return 'n/a (not measured)';
  const ratioOk = best === undefined ? true : goal.lowerIsBetter ? value * goal.ratio <= best : value >= goal.ratio * best;
  const absOk = goal.lowerIsBetter ? value <= goal.absolute : value >= goal.absolute;
  const p99Ok = goal.p99Ms === undefined || (p99 !== undefined && p99 <= goal.p99Ms);
  const misses = [
    !ratioOk && `< ${goal.ratio}× best`,
    !absOk && `target ${goal.lowerIsBetter ? '≤' : '≥'} ${f(goal.absolute)}`,
    !p99Ok && `p99 > ${goal.p99Ms} ms`,
  ].filter(Boolean);
  return misses.length ? `NOT MET (${misses.join(', ')})` : 'met';
}

export function renderComparison(results: ScenarioResult[]): string {
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const targets = [...new Set(results.map((r) => r.target))];
  const lines = [`scenario  unit          ${targets.map((t) => t.padStart(16)).join('')}  best anchor       glider/anchor  cluster/anchor  target`];
  for (const s of scenarios) {
    const by = new Map(results.filter((r) => r.scenario === s).map((r) => [r.target, r]));
    const value = (t: string) => (by.get(t) ? headline(by.get(t)!).value : undefined);
    const unit = headline(results.find((r) => r.scenario === s)!).unit;
    const lower = GOALS[s]?.lowerIsBetter ?? false;
    const anchorVals = ANCHORS.map((a) => [a, value(a)] as const).filter(([, v]) => v !== undefined && v > 0) as Array<[string, number]>;
    const best = anchorVals.sort((a, b) => (lower ? a[1] - b[1] : b[1] - a[1]))[0];
    const ratio = (t: string) => {
      const v = value(t);
      return v === undefined || !best ? '-' : `${(v / best[1]).toFixed(2)}×`;
    };
    const g = by.get('glider');
    const p99 = g?.scenario === 'login' ? g.metrics.total_p99_ms : g?.metrics.p99_ms;
    lines.push(
      `${s.padEnd(8)}  ${unit.padEnd(12)}  ${targets.map((t) => f(value(t), s === 'idle' ? 1 : 0).padStart(16)).join('')}` +
        `  ${(best ? `${best[0]} ${f(best[1], 1)}` : '-').padEnd(16)}  ${ratio('glider').padStart(13)}  ${ratio('glider-cluster').padStart(14)}` +
        `  ${g ? judge(GOALS[s], value('glider'), best?.[1], p99) : 'glider not run'}`,
    );
  }
  return lines.join('\n');
}

/**
 * The same figures per server core actually used (work / CPU seconds): on a shared machine a
 * starved server looks slow, this shows what it would do with a core to itself.
 */
export function renderPerCore(results: ScenarioResult[]): string {
  const lines = ['per server core (units per CPU-second of all server processes):'];
  for (const r of results) {
    if (r.scenario === 'idle') continue;
    const us = Object.values(r.serverCpuPerUnitUs).reduce((a, b) => a + b, 0);
    if (us <= 0) continue;
    lines.push(`  ${r.target.padEnd(15)} ${r.scenario.padEnd(6)} ${f(1e6 / us).padStart(8)} ${headline(r).unit.replace('/s', '')}/core-s`);
  }
  return lines.length > 1 ? lines.join('\n') : '';
}

/** Cluster CPU per routed stanza against standalone's (target: within 2×). */
export function renderClusterCpu(results: ScenarioResult[]): string {
  const msg = (t: string) => results.find((r) => r.scenario === 'msg' && r.target === t);
  const standalone = msg('glider');
  const cluster = msg('glider-cluster');
  if (!cluster) return '';
  const total = (r: ScenarioResult) => Object.values(r.serverCpuPerUnitUs).reduce((a, b) => a + b, 0);
  const parts = Object.entries(cluster.serverCpuPerUnitUs)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');
  const line = `cluster CPU µs per routed stanza: ${parts}; total ${total(cluster).toFixed(1)}`;
  if (!standalone) return line;
  const ratio = total(cluster) / Math.max(1e-9, total(standalone));
  return `${line}; standalone ${total(standalone).toFixed(1)} → ${ratio.toFixed(2)}× (target ≤ 2×: ${ratio <= 2 ? 'met' : 'NOT MET'})`;
}
