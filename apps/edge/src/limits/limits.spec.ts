import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withClientNamespace } from '../transport/websocket.transport.js';
import { waitFor } from '#libs/testing';
import type { Logger } from '#libs/telemetry';
import { AuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
import { FailedLoginLog } from './failed-login-log.js';
import { ConnectionCounter } from './connection-counter.js';
import { TokenBucket } from './token-bucket.js';

test('TokenBucket: a burst passes, then reading pauses for the deficit at the sustained rate', () => {
  let now = 0;
  const bucket = new TokenBucket(1000, 2000, () => now);
  assert.equal(bucket.take(2000), 0);
  assert.equal(bucket.take(500), 500);
  now = 1500; // refilled 1500, deficit was 500
  assert.equal(bucket.take(0), 0);
});

const throttle = (now: () => number, extra: Partial<AuthThrottleOptions> = {}): AuthThrottle =>
  new AuthThrottle({ baseMs: 500, maxMs: 16_000, forgetAfterMs: 60_000, lockoutAfter: 0, lockoutMs: 900_000, maxEntries: 1000, ...extra }, now);

test('AuthThrottle: doubles per failure up to the cap, per address and per account', () => {
  const t = throttle(() => 0, { maxMs: 2000 });
  assert.deepEqual([t.failed('a', 'x@d'), t.failed('a', 'x@d'), t.failed('a', 'y@d'), t.failed('a', 'z@d')], [500, 1000, 2000, 2000]);
  assert.equal(t.failed('b', 'w@d'), 500, 'a fresh address and account');
  assert.equal(t.failed('c', 'x@d'), 2000, 'the account carries its failures to another address');
});

test('AuthThrottle: a success of another account from the same address does not reset the address', () => {
  let now = 0;
  const t = throttle(() => now);
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    // attacker: guess the victim's password, then log into an account of their own
    const gate = t.admit('10.0.0.1', 'victim@d');
    assert.equal(gate.kind, 'go');
    now += gate.kind === 'go' ? gate.waitMs : 0;
    waits.push(t.failed('10.0.0.1', 'victim@d'));
    const own = t.admit('10.0.0.1', 'mallory@d');
    now += own.kind === 'go' ? own.waitMs : 0;
    t.succeeded('mallory@d');
  }
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 16000]);
});

test("AuthThrottle: the account owner's success resets the account, the address keeps its count", () => {
  const t = throttle(() => 0);
  t.failed('a', 'x@d');
  t.failed('a', 'x@d');
  t.succeeded('x@d');
  assert.equal(t.failed('b', 'x@d'), 500, 'account reset');
  assert.equal(t.failed('a', 'y@d'), 2000, 'address a not reset: its third failure');
});

test('AuthThrottle: parallel attempts from one address are checked one after another, not at once', () => {
  let now = 0;
  const t = throttle(() => now);
  t.failed('a', 'v1@d'); // n=1: next slot at 500
  const waits = ['v2@d', 'v3@d', 'v4@d'].map((acct) => {
    const g = t.admit('a', acct);
    return g.kind === 'go' ? g.waitMs : -1;
  });
  assert.deepEqual(waits, [500, 1000, 1500], 'each reserved slot pushes the next one on');
  now = 10_000;
  assert.deepEqual(t.admit('b', 'fresh@d'), { kind: 'go', waitMs: 0 }, 'a clean address and account never wait');
});

test('AuthThrottle: the queue never reaches past maxMs: a flood is refused (busy), not queued for hours', () => {
  let now = 0;
  const t = throttle(() => now, { maxMs: 2000 });
  for (let i = 0; i < 5; i++) t.failed(`ip${i}`, 'victim@d'); // the account's delay is at the cap
  const kinds = Array.from({ length: 50 }, (_, i) => t.admit(`other${i}`, 'victim@d').kind);
  assert.ok(kinds.filter((k) => k === 'go').length <= 2, kinds.join());
  assert.ok(kinds.includes('busy'));
  now = 10_000;
  assert.deepEqual(t.admit('owner', 'victim@d'), { kind: 'go', waitMs: 0 }, 'once the flood stops, the owner waits no longer than the cap');
});

test('AuthThrottle: forgets an address after forgetAfterMs without failures', () => {
  let now = 0;
  const t = throttle(() => now);
  t.failed('a', 'x@d');
  t.failed('a', 'x@d');
  now = 61_001;
  assert.equal(t.failed('a', 'y@d'), 500);
});

test('AuthThrottle: optional lockout refuses the account for lockoutMs after the last failure, without a wait', () => {
  let now = 0;
  const t = throttle(() => now, { lockoutAfter: 3, lockoutMs: 60_000, baseMs: 1, maxMs: 1 });
  for (let i = 0; i < 3; i++) t.failed(`ip${i}`, 'x@d');
  assert.deepEqual(t.admit('other', 'x@d'), { kind: 'locked', retryAfterMs: 60_000 });
  assert.equal(t.admit('other', 'y@d').kind, 'go', 'other accounts are not locked');
  now = 60_001;
  assert.equal(t.admit('other', 'x@d').kind, 'go');
  const off = throttle(() => 0);
  for (let i = 0; i < 50; i++) off.failed(`ip${i}`, 'x@d');
  assert.equal(off.admit('z', 'x@d').kind, 'go', 'lockout is off by default');
});

test('AuthThrottle: memory is bounded by maxEntries', () => {
  const t = throttle(() => 0, { maxEntries: 100 });
  for (let i = 0; i < 1000; i++) t.failed(`ip${i}`, `u${i}@d`);
  assert.ok(t.size <= 100, String(t.size));
});

test('FailedLoginLog: at most maxLines per interval, then one summary line with the count', async () => {
  let now = 0;
  const lines: Record<string, unknown>[] = [];
  const logger = { warn: (obj: Record<string, unknown>) => lines.push(obj) } as unknown as Logger;
  const log = new FailedLoginLog(logger, { maxLines: 3, intervalMs: 1000 }, () => now);
  for (let i = 0; i < 10; i++) log.record({ account: `u${i}@d`, address: '10.0.0.9', mechanism: 'PLAIN', reason: 'not-authorized' });
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[0], { event: 'auth-failed', account: 'u0@d', address: '10.0.0.9', mechanism: 'PLAIN', reason: 'not-authorized' });
  now = 1000;
  log.record({ address: '10.0.0.9', reason: 'malformed-request' });
  assert.deepEqual(
    lines.slice(3).map((l) => [l.event, l.suppressed]),
    [
      ['auth-failed-suppressed', 7],
      ['auth-failed', undefined],
    ],
  );
  now = 1900; // the summary timer fires at the end of this interval, 100 ms on
  for (let i = 0; i < 4; i++) log.record({ address: '10.0.0.9', reason: 'x' });
  await waitFor(() => lines.some((l, i) => i > 4 && l.event === 'auth-failed-suppressed'), { what: 'the summary at the end of the interval' });
  assert.equal(lines.at(-1)!.suppressed, 2);
});

test('ConnectionCounter: per-IP cap', () => {
  const c = new ConnectionCounter(2);
  assert.equal(c.acquire('x'), true);
  assert.equal(c.acquire('x'), true);
  assert.equal(c.acquire('x'), false);
  assert.equal(c.acquire('y'), true);
  c.release('x');
  assert.equal(c.acquire('x'), true);
  assert.equal(c.total, 3);
});

test('withClientNamespace adds jabber:client to a stanza that lacks a namespace, only then', () => {
  assert.equal(withClientNamespace('<message to="a@b"><body>x</body></message>'), '<message xmlns="jabber:client" to="a@b"><body>x</body></message>');
  assert.equal(withClientNamespace('<iq/>'), '<iq xmlns="jabber:client"/>');
  assert.equal(withClientNamespace('<iq xmlns="jabber:client" id="1"/>'), '<iq xmlns="jabber:client" id="1"/>');
  assert.equal(
    withClientNamespace('<message id="x xmlns=y"><body xmlns="z"/></message>'),
    '<message xmlns="jabber:client" id="x xmlns=y"><body xmlns="z"/></message>',
  );
});
