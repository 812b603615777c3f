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

test('requestRetrying says "no responders" when the budget runs out while it waits to retry', async () => {
  const bus = new InProcessBus();
  // A stalled event loop (a busy machine) makes the pause before the retry end past the deadline.
  const stalling = {
    request: (...args: Parameters<InProcessBus['request']>) => {
      setImmediate(() => {
        const until = Date.now() + 80;
        while (Date.now() < until);
      });
      return bus.request(...args);
    },
  } as unknown as InProcessBus;
  await assert.rejects(requestRetrying(stalling, 'svc.none', enc('x'), { timeoutMs: 60, retryDelayMs: 5 }), BusNoRespondersError);
  await bus.close();
});

test('requestRetrying gives up with BusNoRespondersError when the budget is spent', async () => {
  const bus = new InProcessBus();
  await assert.rejects(requestRetrying(bus, 'svc.none', enc('x'), { timeoutMs: 60, retryDelayMs: 5 }), BusNoRespondersError);
  await bus.close();
});
