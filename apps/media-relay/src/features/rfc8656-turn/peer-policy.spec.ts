import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerPolicy } from './peer-policy.js';

const policy = (allowedPeers: string[] = [], deniedPeers: string[] = []) =>
  new PeerPolicy({
    allowedPeers,
    deniedPeers,
    ownAddresses: ['203.0.113.5', '10.9.9.9'],
    isListenerPort: (p) => p === 3478 || p === 5349,
    isRelayPort: (p) => p >= 49152,
  });

describe('TURN peer policy', () => {
  it('refuses internal, special and IPv4-mapped forms by default; allows public addresses', () => {
    const p = policy();
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.251',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'ff02::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
    ]) {
      assert.equal(p.permitsAddress(ip), false, ip);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) assert.equal(p.permitsAddress(ip), true, ip);
    assert.equal(p.permitsAddress('not-an-ip'), false);
  });

  it('allowedPeers opens CIDRs, deniedPeers wins over it', () => {
    const p = policy(['10.20.0.0/16', '127.0.0.1'], ['10.20.30.0/24', '8.8.8.8']);
    assert.equal(p.permitsAddress('10.20.1.1'), true);
    assert.equal(p.permitsAddress('127.0.0.1'), true);
    assert.equal(p.permitsAddress('127.0.0.2'), false);
    assert.equal(p.permitsAddress('10.20.30.1'), false);
    assert.equal(p.permitsAddress('8.8.8.8'), false);
  });

  it('own addresses: relay ports are peers (also when private), listener ports never, other ports only when allowed', () => {
    const p = policy();
    assert.equal(p.permitsPeer('10.9.9.9', 50000), true, 'another allocation on a relay with a private address');
    assert.equal(p.permitsPeer('203.0.113.5', 50000), true);
    assert.equal(p.permitsPeer('10.9.9.9', 5222), false, 'the XMPP server next to the relay');
    assert.equal(p.permitsPeer('10.9.9.9', 3478), false);
    const open = policy(['10.9.9.9/32', '0.0.0.0/0']);
    assert.equal(open.permitsPeer('10.9.9.9', 5222), true, 'explicitly allowed');
    assert.equal(open.permitsPeer('10.9.9.9', 3478), false, 'TURN inside TURN, whatever the config');
    assert.equal(open.permitsPeer('203.0.113.6', 3478), true, 'not ours');
    assert.equal(policy([], ['10.9.9.9/32']).permitsPeer('10.9.9.9', 50000), false, 'deniedPeers wins');
  });
});
