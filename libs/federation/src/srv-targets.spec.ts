import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orderTargets, type SrvRecord } from './srv-targets.js';

const rec = (name: string, port: number, priority: number, weight: number): SrvRecord => ({ name, port, priority, weight });
/** A deterministic stand-in for Math.random: returns the given values in turn. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

test('no SRV records: the domain itself on 5269 with STARTTLS (RFC 6120 §3.2.1)', () => {
  assert.deepEqual(orderTargets('b.example', [], []), { kind: 'targets', targets: [{ host: 'b.example', port: 5269, directTls: false }] });
});

test('a lone "." target means the domain offers no XMPP server (RFC 2782)', () => {
  assert.deepEqual(orderTargets('b.example', [], [rec('.', 0, 0, 0)]), { kind: 'no-service' });
});

test('lower priority first; _xmpps-server and _xmpp-server merged (XEP-0368 §3)', () => {
  const r = orderTargets('b.example', [rec('tls.b.example.', 5270, 10, 0)], [rec('s1.b.example.', 5269, 5, 0), rec('s2.b.example', 5269, 20, 0)], seq(0));
  assert.deepEqual(r, {
    kind: 'targets',
    targets: [
      { host: 's1.b.example', port: 5269, directTls: false },
      { host: 'tls.b.example', port: 5270, directTls: true },
      { host: 's2.b.example', port: 5269, directTls: false },
    ],
  });
});

test('RFC 2782 weights: the running sum picks the first record whose sum reaches the random number', () => {
  const records = [rec('a', 1, 0, 10), rec('b', 1, 0, 30), rec('c', 1, 0, 60)];
  const hosts = (random: () => number) => (orderTargets('d', [], records, random) as { targets: { host: string }[] }).targets.map((t) => t.host);
  // sum 100: pick = floor(r * 101). 0 → a (10 ≥ 0); then sum 90: pick 0 → b.
  assert.deepEqual(hosts(seq(0)), ['a', 'b', 'c']);
  // r = 0.99 → pick 99 → c (100 ≥ 99); then sum 40: floor(0.99 * 41) = 40 → b
  assert.deepEqual(hosts(seq(0.99)), ['c', 'b', 'a']);
  // r = 0.2 → pick 20 → b (10 < 20 ≤ 40); sum 70 → floor(0.2 * 71) = 14 → c? running a=10 <14, c=70 ≥ 14 → c
  assert.deepEqual(hosts(seq(0.2)), ['b', 'c', 'a']);
});

test('weights hold statistically: with weights 3 and 1 the heavy record leads 3 times in 5 (RFC 2782 draws from [0, sum] inclusive)', () => {
  const records = [rec('light', 1, 0, 1), rec('heavy', 1, 0, 3)];
  let seed = 42;
  const lcg = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const firsts = { light: 0, heavy: 0 } as Record<string, number>;
  for (let i = 0; i < 4000; i++) firsts[(orderTargets('d', [], records, lcg) as { targets: { host: string }[] }).targets[0]!.host]!++;
  // pick ∈ {0..4}: light for 0–1, heavy for 2–4 → 3:2
  const ratio = firsts.heavy! / firsts.light!;
  assert.ok(ratio > 1.2 && ratio < 1.8, `heavy/light = ${ratio}`);
});

test('zero-weight records come after weighted ones except when picked at 0', () => {
  const records = [rec('w', 1, 0, 5), rec('zero', 1, 0, 0)];
  const first = (r: number) => (orderTargets('d', [], records, seq(r)) as { targets: { host: string }[] }).targets[0]!.host;
  assert.equal(first(0), 'zero');
  assert.equal(first(0.5), 'w');
});
