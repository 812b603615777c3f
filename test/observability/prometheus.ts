import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '#libs/testing';

/** One scrape target: where its /metrics is and the target labels the chart's monitors give it. */
export interface Target {
  address: string;
  labels: Record<string, string>;
}

export interface Prometheus {
  url: string;
  pid: number;
  /** GET /api/v1/<path>; resolves with the whole answer (status, data, errorType, error). */
  api<T = unknown>(path: string, params?: Record<string, string>): Promise<{ status: string; data: T; errorType?: string; error?: string }>;
  stop(): Promise<void>;
}

/** Debian's prometheus (`apt-get install prometheus`; .ci/run installs it). */
export function prometheusBinary(): string {
  for (const p of [process.env.PROMETHEUS, '/usr/bin/prometheus']) if (p && existsSync(p)) return p;
  throw new Error('prometheus not found: apt-get install prometheus (or set PROMETHEUS)');
}

/**
 * A real Prometheus on a free loopback port, scraping `targets` as job "glider" (as the chart's
 * PodMonitor and ServiceMonitor name them) every `scrapeInterval`, and evaluating `ruleFile`.
 * Its data lives in `dir`; `stop()` ends it by its PID.
 */
export async function startPrometheus(dir: string, targets: Target[], ruleFile: string, scrapeInterval = '1s'): Promise<Prometheus> {
  const port = await freePort();
  const config = {
    global: { scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval, evaluation_interval: scrapeInterval },
    rule_files: [ruleFile],
    scrape_configs: [{ job_name: 'glider', static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })) }],
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // YAML is a superset of JSON
  let log = '';
  const child: ChildProcess = spawn(
    prometheusBinary(),
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d) => (log = (log + String(d)).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const api: Prometheus['api'] = async (path, params = {}) => {
    const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params).toString()}`, { signal: AbortSignal.timeout(10_000) });
    return (await res.json()) as never;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'Prometheus ready' },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    url,
    pid: child.pid!,
    api,
    async stop() {
      if (child.exitCode !== null) return;
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}
