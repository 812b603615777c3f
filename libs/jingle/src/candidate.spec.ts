import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCandidate, writeCandidate } from './candidate.js';
import { candidateFromJingle, candidateToJingle } from './jingle-transport.codec.js';

test('an RTCIceCandidate line survives XEP-0176 and back (trickle: transport-info)', () => {
  const line = 'candidate:3093801562 1 udp 50339839 127.0.0.1 50054 typ relay raddr 0.0.0.0 rport 0 generation 0 ufrag 1sx8 network-cost 999';
  const c = parseCandidate(line);
  assert.deepEqual(c, {
    foundation: '3093801562',
    component: 1,
    protocol: 'udp',
    priority: 50339839,
    ip: '127.0.0.1',
    port: 50054,
    type: 'relay',
    relAddr: '0.0.0.0',
    relPort: 0,
    generation: 0,
  });
  const el = candidateToJingle(c, 'abc');
  assert.equal(el.attr('rel-port'), '0');
  assert.deepEqual(candidateFromJingle(el), c);
  assert.equal(writeCandidate(c), 'candidate:3093801562 1 udp 50339839 127.0.0.1 50054 typ relay raddr 0.0.0.0 rport 0 generation 0');
});

test('a malformed candidate is refused with the reason', () => {
  assert.throws(() => parseCandidate('candidate:1 1 udp x 1.2.3.4 5 typ host'), /priority "x" is not a number/);
  assert.throws(() => parseCandidate('candidate:1 1 udp'), /not an ICE candidate/);
  assert.throws(
    () => candidateFromJingle(candidateToJingle(parseCandidate('candidate:1 1 udp 1 1.2.3.4 5 typ host'), 'i').setAttr('ip', undefined)),
    /without "ip"/,
  );
});
