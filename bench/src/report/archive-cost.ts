// What archiving (XEP-0313) costs, from a `bench:compare --archive off,on` run: per target and
// scenario, the mam-on row against the mam-off row. Issue 11's target (≤ 15 % of msgs/s) lives
// here only, never in a test.
import type { ScenarioResult } from '../scenarios/result.js';
import { headline } from './table.js';

const MAX_COST = 0.15;

const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d }));
const cpu = (r: ScenarioResult) => Object.values(r.serverCpuPerUnitUs).reduce((a, b) => a + b, 0);

export function renderArchiveCost(results: ScenarioResult[]): string {
  const lines: string[] = [];
  results.forEach((on, i) => {
    if (!on.target.endsWith('/mam-on')) return;
    const base = on.target.slice(0, -'/mam-on'.length);
    // the mam-off run nearest before it (`--archive off,on,off,on` pairs each on with its off)
    const off = results
      .slice(0, i)
      .reverse()
      .find((r) => r.target === `${base}/mam-off` && r.scenario === on.scenario);
    if (!off || on.scenario === 'idle') return;
    const [a, b] = [headline(off).value, headline(on).value];
    if (a === undefined || b === undefined || a <= 0) return;
    const cost = 1 - b / a;
    const [ca, cb] = [cpu(off), cpu(on)];
    lines.push(
      `  ${base.padEnd(15)} ${on.scenario.padEnd(6)} ${f(a).padStart(8)} → ${f(b).padStart(8)} ${headline(on).unit}` +
        ` (${(cost * 100).toFixed(1)} % ${cost <= MAX_COST ? 'met' : 'NOT MET'}),` +
        ` p99 ${f(off.metrics.p99_ms, 1)} → ${f(on.metrics.p99_ms, 1)} ms` +
        (ca > 0 && cb > 0 ? `, CPU µs per unit ${f(ca)} → ${f(cb)} (+${(((cb - ca) / ca) * 100).toFixed(0)} %)` : ''),
    );
  });
  return lines.length ? [`archive cost (mam-off → mam-on; target ≤ ${MAX_COST * 100} % of the rate):`, ...lines].join('\n') : '';
}
