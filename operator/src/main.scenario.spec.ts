import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { freePort } from '#libs/testing';
import { NS, TestCluster, clustersPath, sampleCluster, waitFor } from './testing/harness.js';

const main = fileURLToPath(new URL('./main.js', import.meta.url));

describe('the operator process, unchanged, against the harness API server over TLS (KUBECONFIG with its CA)', { timeout: 60_000 }, () => {
  let k: TestCluster;
  let proc: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'glider-op-'));
  before(async () => {
    k = await new TestCluster({ tls: true }).start();
  });
  after(async () => {
    proc?.kill('SIGKILL');
    await k.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles, reports glider_operator_* through OpenTelemetry, then on SIGTERM releases its Lease and exits 0', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, k.api.kubeconfig(NS));
    const healthPort = await freePort();
    proc = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        POD_NAMESPACE: NS,
        POD_NAME: 'operator-main',
        WATCH_NAMESPACE: NS,
        LOG_LEVEL: 'warn',
        HEALTH_PORT: String(healthPort),
        LEASE_DURATION_SECONDS: '5',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += String(d)));
    await k.request('POST', clustersPath, sampleCluster('proc'));
    await waitFor(
      'children and status from the process',
      () => k.get('deployments', 'proc-edge', 'apps/v1') && k.cluster('proc')?.status?.observedGeneration,
      20_000,
    );
    assert.equal(k.get('leases', 'glider-operator', 'coordination.k8s.io/v1').spec.holderIdentity, 'operator-main');
    // The same exporter as the apps': OpenTelemetry's, with its resource (service glider-operator).
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    assert.match(metrics, /^target_info\{.*service_name="glider-operator"/m, metrics);
    assert.match(metrics, /^# TYPE glider_operator_reconcile_total counter$/m);
    assert.match(metrics, /^glider_operator_reconcile_total\{result="ok"[^}]*\} [1-9]/m);
    assert.match(metrics, /^glider_operator_leader(\{[^}]*\})? 1$/m);
    assert.match(metrics, /^glider_operator_xmppclusters(\{[^}]*\})? 1$/m);
    assert.match(metrics, /^glider_operator_queue_depth(\{[^}]*\})? \d+$/m);
    // Reconcile latency, the work queue's client-go-style metrics, the certificate the operator issued.
    assert.match(metrics, /^glider_operator_reconcile_duration_seconds_count\{result="ok"\} [1-9]/m);
    assert.match(metrics, /^glider_operator_workqueue_adds_total [1-9]/m);
    assert.match(metrics, /^glider_operator_workqueue_queue_duration_seconds_count [1-9]/m);
    const status = k.cluster('proc')!.status!.certificate!;
    const expiry = metrics
      .split('\n')
      .filter((l) => l.startsWith('glider_operator_certificate_expiry_timestamp_seconds{'))
      .find((l) => l.includes('certificate="server"') && l.includes('xmppcluster="proc"'))
      ?.match(/ ([0-9.e+]+)$/);
    assert.ok(expiry, metrics);
    assert.equal(Number(expiry[1]) * 1000, Date.parse(status.notAfter), 'the gauge is the notAfter the status reports');
    assert.match(metrics, /^process_cpu_seconds_total [0-9.e+-]+$/m);
    const exited = new Promise<number | null>((resolve) => proc!.on('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
    assert.equal(code, 0, stderr);
    assert.equal(k.get('leases', 'glider-operator', 'coordination.k8s.io/v1').spec.holderIdentity, '', 'Lease released');
    proc = undefined;
  });
});
