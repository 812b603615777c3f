import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusNoRespondersError } from './bus.js';
import { InProcessBus } from './inprocess-bus.js';
import { requestRetrying } from './request-retrying.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('requestRetrying waits out a moment without responders', async () => {
  const bus = new InProcessBus();
  const pending = requestRetrying(bus, 'svc.a', enc('x'), { timeoutMs: 5_000, retryDelayMs: 5 });
  await new Promise((r) => setTimeout(r, 30));
  bus.subscribe('svc.a', (m) => m.respond(enc('late')));
  assert.equal(new TextDecoder().decode(await pending), 'late');
  await bus.close();
});

test('requestRetrying gives up with BusNoRespondersError when the budget is spent', async () => {
  const bus = new InProcessBus();
  await assert.rejects(requestRetrying(bus, 'svc.none', enc('x'), { timeoutMs: 60, retryDelayMs: 5 }), BusNoRespondersError);
  await bus.close();
});
