import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Socks5Handshake } from './socks5-handshake.machine.js';
import { clientGreeting, connectRequest, Rep } from './socks5.codec.js';
import { streamHash } from './stream-hash.js';

const HASH = streamHash('sid-1', 'alice@example.com/pc', 'bob@example.com/phone');
const bytes = (...b: number[]) => Buffer.from(b);

test('RFC 1928 greeting and CONNECT in one piece: method X00 selected, then the hash to decide on', () => {
  const m = new Socks5Handshake();
  const step = m.feed(Buffer.concat([clientGreeting(), connectRequest(HASH)]));
  assert.equal(step.kind, 'connect');
  assert.deepEqual(step.write, bytes(5, 0));
  assert.ok(step.kind === 'connect');
  assert.equal(step.hash, HASH);
  assert.equal(step.port, 0);
  assert.equal(step.early.length, 0);
  assert.equal(m.state, 'requested');
});

test('the same handshake fed one byte at a time', () => {
  const m = new Socks5Handshake();
  const all = Buffer.concat([clientGreeting(), connectRequest(HASH)]);
  const writes: Buffer[] = [];
  let last;
  for (let i = 0; i < all.length; i++) {
    last = m.feed(all.subarray(i, i + 1));
    if (last.write) writes.push(last.write);
    if (i < all.length - 1) assert.equal(last.kind, 'more', `byte ${i}`);
  }
  assert.ok(last?.kind === 'connect');
  assert.equal(last.hash, HASH);
  assert.deepEqual(Buffer.concat(writes), bytes(5, 0));
});

test('an upper-case hash is the same stream; bytes pipelined behind the request are kept', () => {
  const m = new Socks5Handshake();
  const step = m.feed(Buffer.concat([clientGreeting(), connectRequest(HASH.toUpperCase()), Buffer.from('early')]));
  assert.ok(step.kind === 'connect');
  assert.equal(step.hash, HASH);
  assert.equal(step.early.toString(), 'early');
});

test('the reply echoes DST.ADDR and DST.PORT (XEP-0065 §5.3.2)', () => {
  const r = Socks5Handshake.answer(Rep.succeeded, HASH, 0);
  assert.deepEqual(r.subarray(0, 5), bytes(5, 0, 0, 3, 40));
  assert.equal(r.subarray(5, 45).toString('latin1'), HASH);
  assert.deepEqual(r.subarray(45), bytes(0, 0));
});

test('refusals: version, methods, command, address type, a DST.ADDR that is not a SHA-1', () => {
  const cases: [string, Buffer, Buffer | undefined][] = [
    ['SOCKS4 greeting', bytes(4, 1, 0, 80, 127, 0, 0, 1, 0), undefined],
    ['no method', bytes(5, 0), bytes(5, 0xff)],
    ['username/password only', bytes(5, 1, 2), bytes(5, 0xff)],
    ['BIND', Buffer.concat([clientGreeting(), bytes(5, 2, 0, 3, 1, 0x61, 0, 0)]), bytes(5, 0, 5, 7)],
    ['UDP ASSOCIATE', Buffer.concat([clientGreeting(), bytes(5, 3, 0, 3, 1, 0x61, 0, 0)]), bytes(5, 0, 5, 7)],
    ['IPv4 address', Buffer.concat([clientGreeting(), bytes(5, 1, 0, 1, 127, 0, 0, 1, 0, 80)]), bytes(5, 0, 5, 8)],
    ['IPv6 address', Buffer.concat([clientGreeting(), bytes(5, 1, 0, 4)]), bytes(5, 0, 5, 8)],
    ['request version 4', Buffer.concat([clientGreeting(), bytes(4, 1, 0, 3)]), bytes(5, 0, 5, 1)],
    ['a host name', Buffer.concat([clientGreeting(), connectRequest('example.com', 80)]), bytes(5, 0, 5, 4)],
    ['a hash one digit short', Buffer.concat([clientGreeting(), connectRequest(HASH.slice(1))]), bytes(5, 0, 5, 4)],
  ];
  for (const [name, input, expectedStart] of cases) {
    const m = new Socks5Handshake();
    const step = m.feed(input);
    assert.equal(step.kind, 'refuse', name);
    assert.equal(m.state, 'refused', name);
    if (expectedStart) assert.deepEqual(step.write?.subarray(0, expectedStart.length), expectedStart, name);
    else assert.equal(step.write, undefined, name);
    assert.equal(m.feed(bytes(5)).kind, 'refuse', `${name}: nothing is read after a refusal`);
  }
});
