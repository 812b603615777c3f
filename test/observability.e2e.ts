import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { client as xmppClient } from '@xmpp/client';
import { freePort, waitFor } from '#libs/testing';
import { NS, TestCluster, clustersPath, sampleCluster } from '../operator/src/testing/harness.js';
import { startCluster, type Cluster } from './harness/cluster.js';
import { addUser } from './harness/gliderctl.js';
import { repoRoot } from './harness/paths.js';
import { CLIENT_STEP_TIMEOUT_MS, connect, stopReconnecting, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';
import { asPrometheusQuery, dashboardQueries, renderChart, ruleGroups, type RuleGroups } from './observability/chart-queries.js';
import { startPrometheus, type Prometheus, type Target } from './observability/prometheus.js';
import { metricNames } from './observability/promql-names.js';

/**
 * What the chart ships for SREs, run against the real thing (docs/observability.md): a local Glider
 * cluster (nats-server, 2 routers, presence, 2 edges) and the operator process (against the API
 * emulator) are scraped by Debian's Prometheus; after some traffic (logins, messages, a failed
 * login, bounces, an offline message, a stream error) every dashboard panel's query and every
 * alert expression of the rendered chart must parse and name only metrics that were scraped, and
 * the rules must evaluate without error. promtool checks the rule file and runs its unit tests.
 */

/** Metrics the chart reads that Glider does not make: kube-state-metrics' (`up` is Prometheus's own). */
const EXTERNAL = new Set(['kube_pod_container_status_restarts_total']);
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

interface Vector {
  resultType: string;
  result: { metric: Record<string, string>; value: [number, string] }[];
}

describe('Prometheus scraping a Glider cluster and the operator: every dashboard query and alert works', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-observability-'));
  const objects = renderChart(['-f', join(repoRoot, 'charts/glider/ci/full-values.yaml')]);
  const rules: RuleGroups = ruleGroups(objects);
  const rulesFile = join(dir, 'glider-rules.yaml');
  let cluster: Cluster | undefined;
  let k8s: TestCluster | undefined;
  let operator: ChildProcess | undefined;
  let prom: Prometheus | undefined;
  let scraped = new Set<string>();

  const query = async (q: string): Promise<Vector> => {
    const r = await prom!.api<Vector>('query', { query: q });
    assert.equal(r.status, 'success', `${q}: ${r.errorType} ${r.error}`);
    return r.data;
  };
  const scalar = async (q: string): Promise<number> => {
    const v = await query(q);
    assert.equal(v.result.length, 1, `${q} has ${v.result.length} series`);
    return Number(v.result[0]!.value[1]);
  };

  before(async () => {
    writeFileSync(rulesFile, JSON.stringify(rules, null, 2));
    cluster = await startCluster({ edges: 2, routers: 2, logLevel: 'info' });
    k8s = await new TestCluster({ tls: true }).start();
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, k8s.api.kubeconfig(NS));
    const operatorPort = await freePort();
    operator = spawn(process.execPath, [join(repoRoot, 'dist/operator/src/main.js')], {
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        POD_NAMESPACE: NS,
        POD_NAME: 'operator-0',
        WATCH_NAMESPACE: NS,
        LOG_LEVEL: 'warn',
        HEALTH_PORT: String(operatorPort),
      },
      stdio: 'ignore',
    });
    await k8s.request('POST', clustersPath, sampleCluster('chat'));
    await waitFor(() => k8s!.cluster('chat')?.status?.certificate?.notAfter !== undefined, {
      timeoutMs: 30_000,
      what: 'the operator to issue the certificate and report it in the status',
    });
    const targets: Target[] = [
      ...cluster.processes.map((p) => ({
        address: `127.0.0.1:${p.httpPort}`,
        labels: { component: p.role.replace(/-\d+$/, ''), pod: p.role, namespace: 'test', xmppcluster: 'local' },
      })),
      { address: `127.0.0.1:${operatorPort}`, labels: { component: 'operator', pod: 'operator-0', namespace: 'test' } },
    ];
    prom = await startPrometheus(dir, targets, rulesFile);
  });

  after(async () => {
    await prom?.stop();
    if (operator?.pid && operator.exitCode === null) {
      const exited = new Promise((resolve) => operator!.once('exit', resolve));
      process.kill(operator.pid, 'SIGTERM');
      await exited;
    }
    await k8s?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drives traffic and waits for the scrape that saw it', async () => {
    const c = cluster!;
    trustCertificate(c.certPem());
    for (const u of ['alice', 'bob', 'carol']) await addUser(`${u}@localhost`, `${u}-password`, c.adminPort);
    const [e1, e2] = c.edges;
    const clients: TestClient[] = [];
    try {
      const alice = await connect(`xmpp://${e1!.host}:${e1!.c2sPort}`, 'alice', 'alice-password', 'pc'); // STARTTLS
      clients.push(alice);
      const bob = await connect(`xmpps://${e2!.host}:${e2!.directTlsPort}`, 'bob', 'bob-password', 'pc'); // direct TLS
      clients.push(bob);
      await alice.send(xml('presence'));
      await bob.send(xml('presence'));
      await alice.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'hello bob')));
      await bob.waitFor('alice message', (s) => s.is('message') && s.getChildText('body') === 'hello bob');
      // offline: carol has an account and no session (XEP-0160)
      await alice.send(xml('message', { to: 'carol@localhost', type: 'chat', id: 'm2' }, xml('body', {}, 'for later')));
      // bounces: no such account (RFC 6121 §8.5.2.2.1), a domain nobody serves (RFC 6120 §10.4)
      await alice.send(xml('message', { to: 'nobody@localhost', type: 'chat', id: 'm3' }, xml('body', {}, 'anyone?')));
      await alice.waitFor('service-unavailable bounce', (s) => s.is('message') && s.attrs.id === 'm3' && s.attrs.type === 'error');
      await alice.send(xml('message', { to: 'someone@remote.example', type: 'chat', id: 'm4' }, xml('body', {}, 'far away')));
      await alice.waitFor('remote-server-not-found bounce', (s) => s.is('message') && s.attrs.id === 'm4' && s.attrs.type === 'error');
      // a failed login (its client stopped after, or it would try again)
      const wrong = xmppClient({
        service: `xmpp://${e1!.host}:${e1!.c2sPort}`,
        domain: 'localhost',
        username: 'bob',
        password: 'not-his-password',
        timeout: CLIENT_STEP_TIMEOUT_MS,
      });
      wrong.on('error', () => undefined);
      try {
        await assert.rejects(wrong.start(), /not-authorized/);
      } finally {
        stopReconnecting(wrong);
        await wrong.stop().catch(() => undefined);
      }
      // a stream error: not XML at all (RFC 6120 §4.9.3.13 not-well-formed)
      const streamError = await new Promise<string>((resolve) => {
        let answer = '';
        const s = tcpConnect(e2!.c2sPort, e2!.host, () => s.write('this is not <xml'));
        s.on('data', (d) => (answer += String(d)));
        s.on('error', () => undefined); // the server may reset after its error: the close follows
        s.once('close', () => resolve(answer));
      });
      assert.match(streamError, /<not-well-formed/);
    } finally {
      for (const client of clients) await client.stop();
    }
    const trafficDone = Date.now();
    type Targets = { activeTargets: { health: string; lastScrape: string; labels: Record<string, string>; lastError: string }[] };
    let last: Targets | undefined;
    await waitFor(
      async () => {
        last = (await prom!.api<Targets>('targets')).data;
        return (
          last.activeTargets.length === c.processes.length + 1 && last.activeTargets.every((t) => t.health === 'up' && Date.parse(t.lastScrape) > trafficDone)
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'a scrape of every target after the traffic' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last?.activeTargets.map((t) => [t.labels.pod, t.health, t.lastScrape, t.lastError]))}`);
    });
    scraped = new Set((await prom!.api<string[]>('label/__name__/values')).data);
  });

  it('the metrics count what happened, with no per-process labels', async () => {
    const atLeast = async (q: string, n: number) => assert.ok((await scalar(q)) >= n, `${q} < ${n}`);
    await atLeast('sum(glider_edge_logins_total{result="success"})', 2);
    await atLeast('sum(glider_edge_logins_total{result="failure"})', 1);
    await atLeast('sum(glider_edge_login_duration_seconds_count{result="failure"})', 1);
    await atLeast('sum(glider_edge_stanzas_total{kind="message", direction="in"})', 4);
    await atLeast('sum(glider_edge_stanzas_total{kind="message", direction="out"})', 1);
    await atLeast('sum(glider_edge_routing_duration_seconds_count{kind="message"})', 4);
    await atLeast('sum(glider_stanza_errors_total{condition="service-unavailable"})', 1);
    await atLeast('sum(glider_stanza_errors_total{condition="remote-server-not-found"})', 1);
    await atLeast('sum(glider_edge_stream_errors_total{condition="not-well-formed"})', 1);
    await atLeast('sum(glider_router_offline_stored_total)', 1);
    await atLeast('sum(glider_edge_tls_handshakes_total{mode="starttls", result="ok"})', 1);
    await atLeast('sum(glider_edge_tls_handshakes_total{mode="direct", result="ok"})', 1);
    await atLeast('sum(glider_storage_operation_duration_seconds_count{operation="accounts.get", backend="embedded"})', 2);
    await atLeast('sum(glider_bus_request_duration_seconds_count{result="ok"})', 4);
    await atLeast('sum(glider_operator_reconcile_duration_seconds_count{result="ok"})', 1);
    await atLeast('min(glider_edge_tls_certificate_expiry_timestamp_seconds) - time()', 86_400);
    await atLeast('min(glider_operator_certificate_expiry_timestamp_seconds{certificate="server"}) - time()', 86_400);
    assert.equal(await scalar('min(glider_bus_connected)'), 1);
    assert.equal(await scalar('min(glider_storage_up)'), 1);
    assert.equal(await scalar('count(process_cpu_seconds_total)'), cluster!.processes.length + 1, 'runtime metrics from every process');
    // Prometheus says which process (pod, instance): a metric that says it too is a label per process.
    for (const label of ['edge', 'router', 'presence', 'media', 'otel_scope_name', 'process_pid', 'host_name', 'service_instance_id']) {
      const v = await query(`count by (__name__) ({job="glider", ${label}!=""})`);
      assert.deepEqual(
        v.result.map((r) => r.metric.__name__),
        [],
        `label ${label} on these metrics`,
      );
    }
  });

  it('every dashboard panel query parses and reads only scraped metrics', async () => {
    const panels = dashboardQueries(objects);
    assert.ok(panels.length >= 60, `${panels.length} panel queries`);
    const problems: string[] = [];
    for (const p of panels) {
      const q = asPrometheusQuery(p.expr, '1m');
      if (q.includes('$')) problems.push(`${p.dashboard} / ${p.panel}: a Grafana variable this test does not know: ${q}`);
      const r = await prom!.api('query', { query: q });
      if (r.status !== 'success') problems.push(`${p.dashboard} / ${p.panel}: ${r.errorType}: ${r.error}`);
      for (const name of metricNames(q)) if (!scraped.has(name) && !EXTERNAL.has(name)) problems.push(`${p.dashboard} / ${p.panel}: no metric ${name}`);
    }
    assert.deepEqual(problems, []);
  });

  it('every alert expression parses, reads only scraped (or listed external) metrics, and evaluates without error', async () => {
    const all = rules.groups.flatMap((g) => g.rules);
    assert.ok(all.length >= 10, `${all.length} rules`);
    const recorded = new Set(all.flatMap((r) => (r.record ? [r.record] : [])));
    const problems: string[] = [];
    for (const rule of all) {
      const r = await prom!.api('query', { query: rule.expr });
      if (r.status !== 'success') problems.push(`${rule.alert ?? rule.record}: ${r.errorType}: ${r.error}`);
      for (const name of metricNames(rule.expr)) {
        if (!scraped.has(name) && !EXTERNAL.has(name) && !recorded.has(name)) problems.push(`${rule.alert ?? rule.record}: no metric ${name}`);
      }
    }
    assert.deepEqual(problems, []);
    // Prometheus evaluates the rule file itself: every rule evaluated, none with an error (e.g. many-to-many matching)
    type Rules = { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] };
    const since = Date.now();
    let seen: Rules['groups'][number]['rules'] = [];
    await waitFor(
      async () => {
        seen = (await prom!.api<Rules>('rules')).data.groups.flatMap((g) => g.rules);
        return seen.length === all.length && seen.every((r) => Date.parse(r.lastEvaluation) > since);
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'an evaluation of every rule' },
    );
    assert.deepEqual(
      seen.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      [],
    );
  });

  it('the checks can fail: an unknown metric and a malformed query are caught', async () => {
    const unknown = 'sum(rate(glider_no_such_metric_total{job="glider"}[5m])) by (pod)';
    assert.deepEqual(
      metricNames(unknown).filter((n) => !scraped.has(n)),
      ['glider_no_such_metric_total'],
    );
    assert.deepEqual(
      metricNames('histogram_quantile(0.99, sum by (le, kind) (rate(glider_edge_routing_duration_seconds_bucket{kind="iq"}[5m]))) > 1e-3').sort(),
      ['glider_edge_routing_duration_seconds_bucket'],
    );
    const r = await prom!.api('query', { query: 'sum(rate(glider_edge_logins_total[5m])' });
    assert.equal(r.status, 'error');
    assert.equal(r.errorType, 'bad_data');
  });

  it('promtool: the PrometheusRule passes check rules, and the alert unit tests pass', () => {
    execFileSync(PROMTOOL, ['check', 'rules', rulesFile], { encoding: 'utf8' });
    // the unit tests expect the default thresholds
    const defaults = ruleGroups(renderChart(['--set', 'metrics.prometheusRule.enabled=true']));
    const unitDir = mkdtempSync(join(dir, 'unit-'));
    writeFileSync(join(unitDir, 'glider-rules.yaml'), JSON.stringify(defaults, null, 2));
    copyFileSync(join(repoRoot, 'test/observability/alerts.test.yaml'), join(unitDir, 'alerts.test.yaml'));
    const out = execFileSync(PROMTOOL, ['test', 'rules', join(unitDir, 'alerts.test.yaml')], { encoding: 'utf8' });
    assert.match(out, /SUCCESS/);
  });
});
