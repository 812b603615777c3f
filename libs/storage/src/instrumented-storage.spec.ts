import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { tempDir } from '#libs/testing';
import { HealthRegistry, startHttpServer } from '#libs/telemetry';
import { EmbeddedStorage } from './embedded/embedded-storage.js';
import { instrumentStorage } from './instrumented-storage.js';
import { StorageLimitError } from './ports/errors.js';

let server: Server;
let base: string;
const dir = tempDir('glider-instrumented-');
before(async () => {
  const started = await startHttpServer(new HealthRegistry(), '127.0.0.1', 0);
  server = started.server;
  base = `http://127.0.0.1:${started.port}`;
});
after(() => {
  server.close();
  dir.remove();
});

/** The value of one series on /metrics, by its exact label set as the exporter writes it. */
async function value(series: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `${series} not on /metrics`);
  return Number(line.split(' ')[1]);
}

test('every repository call is timed by operation and backend; refusals are answers, failures are errors', async () => {
  const raw = new EmbeddedStorage({ dataDir: dir.path });
  const storage = instrumentStorage(raw, 'embedded');
  assert.equal(storage, raw, 'instrumented in place: the same object, hooks and all');
  await storage.open();
  const get = 'glider_storage_operation_duration_seconds_count{operation="accounts.get",backend="embedded"}';
  const push = 'glider_storage_operation_duration_seconds_count{operation="offline.push",backend="embedded"}';
  const pushErrors = 'glider_storage_operation_errors_total{operation="offline.push",backend="embedded",error="other"}';
  const getBefore = await value(get);
  assert.equal(await storage.accounts.get('nobody', 'localhost'), undefined);
  assert.equal(await value(get), getBefore + 1);
  // a quota refusal is the store answering as the port says it may: timed, not an error
  await storage.offline.push('o@localhost', '<message/>', 1);
  await assert.rejects(storage.offline.push('o@localhost', '<message/>', 1), StorageLimitError);
  assert.equal(await value(push), 2);
  assert.equal(await value(pushErrors), 0);
  // a closed store fails: timed and counted as an error
  await storage.close();
  await assert.rejects(storage.offline.push('o@localhost', '<message/>', 10));
  assert.equal(await value(push), 3);
  const text = await (await fetch(`${base}/metrics`)).text();
  const failed = text
    .split('\n')
    .filter((l) => l.startsWith('glider_storage_operation_errors_total{operation="offline.push",backend="embedded"'))
    .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  assert.equal(failed, 1, text);
});
