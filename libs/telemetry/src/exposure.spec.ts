import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Server } from 'node:http';
import { HealthRegistry } from './health.js';
import { startHttpServer } from './http-server.js';
import { meter, startTelemetry, type Telemetry } from './telemetry.js';

/** What /metrics and /healthz show to anyone who can reach them (docs/security.md). */
let telemetry: Telemetry;
let server: Server;
let base: string;
const health = new HealthRegistry();

before(async () => {
  telemetry = await startTelemetry('exposure-test');
  const started = await startHttpServer(health, '127.0.0.1', 0);
  server = started.server;
  base = `http://127.0.0.1:${started.port}`;
  meter().createCounter('glider_test_total').add(1);
});
after(async () => {
  server.close();
  await telemetry.shutdown();
});

test('/metrics carries no process id, executable path, command line, user or host name', async () => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const targetInfo = text.split('\n').find((l) => l.startsWith('target_info{'));
  assert.ok(targetInfo, text.slice(0, 500));
  assert.match(targetInfo, /service_name="glider-exposure-test"/);
  for (const label of [
    'process_pid',
    'process_executable_path',
    'process_executable_name',
    'process_command',
    'process_command_args',
    'process_owner',
    'host_name',
    'host_id',
    'os_type',
  ]) {
    assert.doesNotMatch(text, new RegExp(`\\b${label}=`), `${label} is exposed`);
  }
  assert.ok(!text.includes(String(process.pid) + '"'), 'the pid appears in a label');
  assert.ok(!text.includes(process.execPath), 'the executable path appears');
  assert.match(text, /glider_test_total/);
});

test('Kubernetes probes: /healthz/live 200; /healthz/ready 503 until started, then 200', async () => {
  assert.equal((await fetch(`${base}/healthz/live`)).status, 200);
  const starting = await fetch(`${base}/healthz/ready`);
  assert.equal(starting.status, 503);
  assert.deepEqual(await starting.json(), { ready: false, checks: { startup: 'starting' } });
  health.markStarted();
  assert.equal((await fetch(`${base}/healthz/ready`)).status, 200);
  assert.equal((await fetch(`${base}/other`)).status, 404);
});
