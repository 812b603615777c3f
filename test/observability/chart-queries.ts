import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../harness/paths.js';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

export interface RuleGroups {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

/** helm: $HELM, on PATH, or where scripts/ci/install-helm.sh puts it (`go env GOPATH`/bin). */
export function helmBinary(): string {
  const candidates = [process.env.HELM, ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'helm')), join(homedir(), 'go', 'bin', 'helm')];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new Error('helm not found: run scripts/ci/install-helm.sh (or set HELM)');
  return found;
}

/** The chart's objects as `helm template` renders them with `args` (e.g. -f values files, --set). */
export function renderChart(args: string[]): Record<string, unknown>[] {
  const text = execFileSync(helmBinary(), ['template', 'glider', join(repoRoot, 'charts/glider'), '-n', 'glider', '--kube-version', '1.33.4', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object');
}

type Panel = { title?: string; targets?: { expr?: string }[]; panels?: Panel[] };

/** Every panel's query of every dashboard ConfigMap labelled for Grafana's sidecar. */
export function dashboardQueries(objects: Record<string, unknown>[]): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const o of objects) {
    const meta = o.metadata as { labels?: Record<string, string> } | undefined;
    if (o.kind !== 'ConfigMap' || meta?.labels?.grafana_dashboard !== '1') continue;
    for (const [file, text] of Object.entries(o.data as Record<string, string>)) {
      const board = JSON.parse(text) as { title: string; panels: Panel[] };
      const walk = (panels: Panel[]) => {
        for (const p of panels) {
          for (const t of p.targets ?? []) if (t.expr) out.push({ dashboard: `${file} (${board.title})`, panel: p.title ?? '', expr: t.expr });
          walk(p.panels ?? []);
        }
      };
      walk(board.panels);
    }
  }
  return out;
}

/** The PrometheusRule's spec: a Prometheus rule file. */
export function ruleGroups(objects: Record<string, unknown>[]): RuleGroups {
  const rule = objects.find((o) => o.kind === 'PrometheusRule');
  if (!rule) throw new Error('no PrometheusRule rendered');
  return rule.spec as RuleGroups;
}

/**
 * Grafana's variables as the dashboards use them, replaced by what they mean with everything
 * selected: `$namespace`, `$xmppcluster` (`.*`), `$__rate_interval` (a window several scrapes long).
 */
export function asPrometheusQuery(expr: string, rateInterval: string): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$namespace', '.*').replaceAll('$xmppcluster', '.*');
}
