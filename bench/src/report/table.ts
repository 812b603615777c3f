// Human-readable output: one row per scenario and server, and one JSON line per scenario for tools.
import type { ScenarioResult } from '../scenarios/result.js';

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The figure a scenario is judged by, with its unit. */
export function headline(r: ScenarioResult): { value: number | undefined; unit: string } {
  switch (r.scenario) {
    case 'login':
      return { value: r.metrics.logins_per_s, unit: 'logins/s' };
    case 'msg':
      return { value: r.metrics.msgs_per_s, unit: 'msgs/s' };
    case 'muc':
      return { value: r.metrics.deliveries_per_s, unit: 'deliveries/s' };
    case 'idle':
      return { value: r.metrics.kib_per_conn, unit: 'KiB/conn' };
  }
}

function detail(r: ScenarioResult): string {
  const m = r.metrics;
  switch (r.scenario) {
    case 'login':
      return `tcp ${m.tcp_p50_ms} tls ${m.tls_p50_ms} sasl ${m.sasl_p50_ms} bind ${m.bind_p50_ms} pres ${m.presence_p50_ms} ms (p50); failed ${m.failed}`;
    case 'msg':
    case 'muc':
      return `lost ${m.lost} dup ${m.duplicates} ooo ${m.out_of_order} (of ${fmt(m.sent)} sent)`;
    case 'idle':
      return `${fmt(m.connected)} conns, RSS ${fmt(m.rss_before_kib)} → ${fmt(m.rss_after_kib)} KiB`;
  }
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 || i === 1 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}

export function renderTable(results: ScenarioResult[]): string {
  const head = ['server', 'scenario', 'result', 'unit', 'p50 ms', 'p99 ms', 'server CPU', 'gen CPU', 'detail'];
  const rows = results.map((r) => {
    const h = headline(r);
    const lat = r.scenario === 'login' ? [r.metrics.total_p50_ms, r.metrics.total_p99_ms] : [r.metrics.p50_ms, r.metrics.p99_ms];
    const gen = `${fmt(r.generator.cores, 2)}c${r.generator.saturated ? ' SAT' : ''}`;
    const extra = r.errors.length ? ` | errors: ${r.errors[0]!.slice(0, 100)}` : '';
    const server = r.metrics.server_cores === undefined ? '-' : `${fmt(r.metrics.server_cores, 2)}c`;
    return [r.target, r.scenario, fmt(h.value, r.scenario === 'idle' ? 1 : 0), h.unit, fmt(lat[0], 2), fmt(lat[1], 2), server, gen, detail(r) + extra];
  });
  const widths = head.map((_, i) => Math.max(head[i]!.length, ...rows.map((row) => row[i]!.length)));
  return [
    pad(head, widths),
    pad(
      widths.map((w) => '-'.repeat(w)),
      widths,
    ),
    ...rows.map((row) => pad(row, widths)),
  ].join('\n');
}

export function renderCpuPerUnit(results: ScenarioResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const entries = Object.entries(r.serverCpuPerUnitUs);
    if (!entries.length || r.scenario === 'idle') continue;
    const unit = r.scenario === 'login' ? 'login' : 'delivered stanza';
    lines.push(`${r.target} ${r.scenario}: CPU µs per ${unit}: ${entries.map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}`);
  }
  return lines.join('\n');
}

export function jsonLine(r: ScenarioResult): string {
  return JSON.stringify({ bench: 'glider', ...r });
}
