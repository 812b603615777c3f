// The comparison table of `bench:compare`: Glider against the best anchor (Prosody, ejabberd) per
// scenario, with the performance issue's (16) targets marked met or not. Targets live here only,
// never in tests.
import type { ScenarioName, ScenarioResult } from '../scenarios/result.js';
import { headline } from './table.js';

const ANCHORS = ['prosody', 'ejabberd'];

/** Higher is better in every scenario but `idle` (KiB per connection). */
const LOWER_IS_BETTER: Partial<Record<ScenarioName, boolean>> = { idle: true };

/**
 * The targets of the performance issue (16), per scenario, for Glider standalone against the best
 * anchor: rates ≥ 1.5 ×, memory ≤ 2/3; msgs/s also with a p99 no worse than the best anchor's; MUC
 * against ejabberd. No absolute figures: the machine decides those, the anchors' ratios do not move
 * with it. CPU per stanza and the cluster's ratios are judged in `renderTargets`.
 */
const RATIO = 1.5;

const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d }));
const total = (r: ScenarioResult): number => Object.values(r.serverCpuPerUnitUs).reduce((a, b) => a + b, 0);
const p99Of = (r: ScenarioResult | undefined): number | undefined => (r?.scenario === 'login' ? r.metrics.total_p99_ms : r?.metrics.p99_ms);
const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');

function judge(s: ScenarioName, value: number | undefined, best: ScenarioResult | undefined, p99: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a (not measured)';
  if (!best) return 'n/a (no anchor)';
  const b = headline(best).value!;
  const ratioOk = LOWER_IS_BETTER[s] ? value * RATIO <= b : value >= RATIO * b;
  const bestP99 = s === 'msg' ? p99Of(best) : undefined;
  const p99Ok = bestP99 === undefined || (p99 !== undefined && p99 <= bestP99);
  const misses = [
    !ratioOk && (LOWER_IS_BETTER[s] ? `> 2/3 of ${best.target}'s` : `< ${RATIO}× ${best.target}`),
    !p99Ok && `p99 ${f(p99)} > ${best.target}'s ${f(bestP99)} ms`,
  ].filter(Boolean);
  return misses.length ? `NOT MET (${misses.join(', ')})` : 'met';
}

/** The anchor a scenario is judged against: MUC against ejabberd (the issue's), the others against the better one. */
function bestAnchor(s: ScenarioName, by: Map<string, ScenarioResult>): ScenarioResult | undefined {
  const measured = ANCHORS.map((a) => by.get(a)).filter((r): r is ScenarioResult => r !== undefined && (headline(r).value ?? 0) > 0);
  if (s === 'muc') return measured.find((r) => r.target === 'ejabberd');
  return measured.sort((a, b) => (LOWER_IS_BETTER[s] ? headline(a).value! - headline(b).value! : headline(b).value! - headline(a).value!))[0];
}

export function renderComparison(results: ScenarioResult[]): string {
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const targets = [...new Set(results.map((r) => r.target))];
  const lines = [`scenario  unit          ${targets.map((t) => t.padStart(16)).join('')}  best anchor       glider/anchor  cluster/anchor  target`];
  for (const s of scenarios) {
    const by = new Map(results.filter((r) => r.scenario === s).map((r) => [r.target, r]));
    const value = (t: string) => (by.get(t) ? headline(by.get(t)!).value : undefined);
    const unit = headline(results.find((r) => r.scenario === s)!).unit;
    const best = bestAnchor(s, by);
    const bestValue = best ? headline(best).value : undefined;
    const ratio = (t: string) => {
      const v = value(t);
      return v === undefined || !bestValue ? '-' : `${(v / bestValue).toFixed(2)}×`;
    };
    const g = by.get('glider');
    lines.push(
      `${s.padEnd(8)}  ${unit.padEnd(12)}  ${targets.map((t) => f(value(t), s === 'idle' ? 1 : 0).padStart(16)).join('')}` +
        `  ${(best ? `${best.target} ${f(bestValue, 1)}` : '-').padEnd(16)}  ${ratio('glider').padStart(13)}  ${ratio('glider-cluster').padStart(14)}` +
        `  ${g ? judge(s, value('glider'), best, p99Of(g)) : 'glider not run'}`,
    );
  }
  return lines.join('\n');
}

/**
 * The issue's targets that are not one scenario's headline: CPU per stanza against the anchors', and
 * the cluster against standalone (CPU per routed stanza, logins/s, memory per connection on an edge).
 */
export function renderTargets(results: ScenarioResult[]): string {
  const get = (s: ScenarioName, t: string) => results.find((r) => r.scenario === s && r.target === t);
  const lines: string[] = [];
  const g = get('msg', 'glider');
  const cpuAnchors = ANCHORS.map((a) => get('msg', a)).filter((r): r is ScenarioResult => r !== undefined && total(r) > 0);
  const cheapest = cpuAnchors.sort((a, b) => total(a) - total(b))[0];
  if (g && cheapest) {
    const ok = total(g) * RATIO <= total(cheapest);
    lines.push(
      `CPU µs per stanza ≤ 2/3 of the best anchor's: glider ${f(total(g), 1)}, ${cheapest.target} ${f(total(cheapest), 1)} (${(total(g) / total(cheapest)).toFixed(2)}×): ${verdict(ok)}`,
    );
  }
  const c = get('msg', 'glider-cluster');
  if (g && c) {
    const ratio = total(c) / Math.max(1e-9, total(g));
    lines.push(
      `cluster CPU µs per routed stanza ≤ ${RATIO}× standalone's: ${f(total(c), 1)} vs ${f(total(g), 1)} (${ratio.toFixed(2)}×): ${verdict(ratio <= RATIO)}`,
    );
  }
  const gl = get('login', 'glider');
  const cl = get('login', 'glider-cluster');
  if (gl && cl) {
    const [a, b] = [headline(cl).value ?? 0, headline(gl).value ?? 0];
    lines.push(`cluster logins/s within ${RATIO}× standalone's: ${f(a)} vs ${f(b)} (${(b / Math.max(1e-9, a)).toFixed(2)}× fewer): ${verdict(a * RATIO >= b)}`);
  }
  const ci = get('idle', 'glider-cluster');
  const idleBest = bestAnchor('idle', new Map(results.filter((r) => r.scenario === 'idle').map((r) => [r.target, r])));
  if (ci && idleBest) {
    // users alternate between the edges: the edges' growth over all connections is an edge's per connection it holds
    const edges = Object.entries(ci.metrics).filter(([k]) => k.startsWith('kib_per_conn_edge'));
    if (edges.length > 0) {
      const perConn = edges.reduce((sum, [, v]) => sum + v, 0);
      const b = headline(idleBest).value!;
      lines.push(
        `idle KiB per connection on a cluster edge ≤ 2/3 of the best anchor's: ${f(perConn, 1)} vs ${idleBest.target} ${f(b, 1)}: ${verdict(perConn * RATIO <= b)}`,
      );
    }
  }
  return lines.length ? ['targets beyond the table (issue 16):', ...lines.map((l) => `  ${l}`)].join('\n') : '';
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

/** The cluster's CPU per routed stanza, process by process (the target is judged in `renderTargets`). */
export function renderClusterCpu(results: ScenarioResult[]): string {
  const cluster = results.find((r) => r.scenario === 'msg' && r.target === 'glider-cluster');
  if (!cluster) return '';
  const parts = Object.entries(cluster.serverCpuPerUnitUs)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');
  return `cluster CPU µs per routed stanza: ${parts}; total ${total(cluster).toFixed(1)}`;
}
