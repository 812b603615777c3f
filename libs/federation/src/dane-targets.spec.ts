import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { daneTargets, type DnsLookup, type DnsResult } from './dane-targets.js';

const KEY = { usage: 3, selector: 1, matching: 1, data: Buffer.alloc(32, 1) };

/** Answers by `<type> <name>` (a validating resolver's verdicts as dane-lookup.ts reports them); unknown: secure and empty. */
function zone(table: Record<string, DnsResult>): { lookup: DnsLookup; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: async (name, type) => {
      asked.push(`${type} ${name}`);
      return table[`${type} ${name}`] ?? { ok: true, secure: true };
    },
  };
}
const srv = (target: string, port = 5269, secure = true): DnsResult => ({ ok: true, secure, srv: [{ name: target, port, priority: 0, weight: 0 }] });
const addr = (ip: string, secure = true): DnsResult => ({ ok: true, secure, addresses: [ip] });
const SERVFAIL: DnsResult = { ok: false, reason: 'SERVFAIL from the resolver' };

describe('RFC 7673 §3: targets and TLSA records from a validating resolver', () => {
  it('secure SRV, addresses and TLSA: the endpoint carries its usable records and the target host name', async () => {
    const { lookup, asked } = zone({
      'SRV _xmpp-server._tcp.example.test': srv('xmpp.hosting.test'),
      'A xmpp.hosting.test': addr('192.0.2.1'),
      'TLSA _5269._tcp.xmpp.hosting.test': { ok: true, secure: true, tlsa: [KEY, { ...KEY, usage: 9 }] },
    });
    const r = await daneTargets('example.test', lookup);
    assert.deepEqual(r, {
      kind: 'targets',
      skipped: [],
      targets: [{ host: '192.0.2.1', port: 5269, directTls: false, dane: { targetHost: 'xmpp.hosting.test', tlsa: [KEY] } }],
    });
    assert.ok(asked.includes('SRV _xmpps-server._tcp.example.test'));
  });

  it('§3.1: a failed SRV lookup aborts; an insecure one or none at all means DANE does not apply', async () => {
    assert.equal((await daneTargets('example.test', zone({ 'SRV _xmpps-server._tcp.example.test': SERVFAIL }).lookup)).kind, 'failed');
    assert.deepEqual(await daneTargets('example.test', zone({ 'SRV _xmpp-server._tcp.example.test': srv('xmpp.example.test', 5269, false) }).lookup), {
      kind: 'insecure',
      why: 'the SRV answer is not DNSSEC-signed',
    });
    assert.deepEqual(await daneTargets('example.test', zone({}).lookup), { kind: 'insecure', why: 'no SRV records' });
    assert.deepEqual(await daneTargets('example.test', zone({ 'SRV _xmpp-server._tcp.example.test': srv('.') }).lookup), { kind: 'no-service' });
  });

  it('§3.2: insecure addresses: no TLSA query, PKIX with both names; failed addresses skip the target', async () => {
    const { lookup, asked } = zone({
      'SRV _xmpp-server._tcp.example.test': {
        ok: true,
        secure: true,
        srv: [
          { name: 'a.test', port: 5269, priority: 0, weight: 0 },
          { name: 'b.test', port: 5269, priority: 1, weight: 0 },
        ],
      },
      'A a.test': SERVFAIL,
      'A b.test': addr('192.0.2.2', false),
    });
    const r = await daneTargets('example.test', lookup);
    assert.equal(r.kind, 'targets');
    assert.deepEqual(r.kind === 'targets' && r.targets, [{ host: '192.0.2.2', port: 5269, directTls: false, dane: { targetHost: 'b.test', tlsa: [] } }]);
    assert.match(r.kind === 'targets' ? r.skipped[0]! : '', /a\.test: address lookup SERVFAIL/);
    assert.ok(!asked.some((q) => q.startsWith('TLSA')), 'no TLSA query behind insecure addresses');
  });

  it('§3.4: a failed TLSA lookup skips the target; with no other target the connection fails', async () => {
    const r = await daneTargets(
      'example.test',
      zone({ 'SRV _xmpps-server._tcp.example.test': srv('x.test', 5270), 'A x.test': addr('192.0.2.3'), 'TLSA _5270._tcp.x.test': SERVFAIL }).lookup,
    );
    assert.equal(r.kind, 'failed');
    assert.match(r.kind === 'failed' ? r.reason : '', /TLSA lookup SERVFAIL.*MUST NOT connect/);
  });

  it('an insecure TLSA answer: the endpoint is used without records', async () => {
    const r = await daneTargets(
      'example.test',
      zone({
        'SRV _xmpp-server._tcp.example.test': srv('x.test'),
        'A x.test': addr('192.0.2.4'),
        'TLSA _5269._tcp.x.test': { ok: true, secure: false, tlsa: [KEY] },
      }).lookup,
    );
    assert.deepEqual(r.kind === 'targets' && r.targets[0]!.dane, { targetHost: 'x.test', tlsa: [] });
  });
});
