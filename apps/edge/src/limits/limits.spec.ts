import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withClientNamespace } from '../transport/websocket.transport.js';
import { AuthThrottle } from './auth-throttle.js';
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

test('AuthThrottle: doubles per failure up to the cap, success resets', () => {
  const t = new AuthThrottle(500, 2000);
  assert.deepEqual([t.failed('a'), t.failed('a'), t.failed('a'), t.failed('a')], [500, 1000, 2000, 2000]);
  assert.equal(t.failed('b'), 500);
  t.succeeded('a');
  assert.equal(t.failed('a'), 500);
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
  assert.equal(withClientNamespace('<message id="x xmlns=y"><body xmlns="z"/></message>'), '<message xmlns="jabber:client" id="x xmlns=y"><body xmlns="z"/></message>');
});
