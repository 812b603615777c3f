import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { s2sSchema } from '#libs/config';
import { startValidatingResolver, type ValidatingResolver } from '#libs/testing';
import { daneLookup } from './dane-lookup.js';
import { DaneLookupError, targetsOf } from './s2s-dial.js';

const KEY = 'AB'.repeat(32);

/**
 * Where Glider connects with DANE on (RFC 7673 §3), against a real validating resolver (unbound,
 * libs/testing): a signed domain gives addresses with their TLSA records; an unsigned one falls
 * back to what Glider does without DANE (Node's resolver — here pointed at the same unbound, so
 * the fallback is visible); a bogus one is refused; a static route never asks DNS.
 */
describe('targetsOf with s2s.dane.resolver (real unbound)', () => {
  let unbound: ValidatingResolver;
  before(async () => {
    unbound = await startValidatingResolver({
      signed: {
        name: 'signed.test',
        records: [
          '_xmpp-server._tcp.ok IN SRV 0 0 5269 xmpp.ok.signed.test.',
          '_xmpps-server._tcp.ok IN SRV 0 0 5270 xmpp.ok.signed.test.',
          'xmpp.ok IN A 127.0.0.21',
          `_5269._tcp.xmpp.ok IN TLSA 3 1 1 ${KEY}`,
          '_xmpp-server._tcp.bad IN SRV 0 0 5269 xmpp.bad.signed.test.',
        ],
      },
      // the SRV record of bad.signed.test changed after signing: bogus
      tamper: (zone) => zone.replace(/(_xmpp-server\._tcp\.bad\.signed\.test\.\s+\d+\s+IN\s+SRV\s+0 0 )5269/, '$15299'),
      insecure: [{ name: 'plain.test', records: ['_xmpp-server._tcp.x IN SRV 0 0 5269 xmpp.x.plain.test.', 'xmpp.x IN A 127.0.0.22'] }],
    });
  });
  after(async () => unbound?.stop());

  const config = (routes = {}) => s2sSchema.parse({ routes, dane: { resolver: unbound.address, timeoutMs: 1000 } });
  const nodeResolver = () => {
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([unbound.address]);
    return r;
  };

  it('a signed domain: each SRV target by its secure address, with the TLSA records of its port (none for 5270)', async () => {
    const c = config();
    const targets = await targetsOf('ok.signed.test', c, nodeResolver(), daneLookup(c.dane));
    assert.ok(Array.isArray(targets));
    const byPort = Object.fromEntries(targets.map((t) => [t.port, t]));
    assert.equal(byPort[5269]!.host, '127.0.0.21');
    assert.equal(byPort[5269]!.dane!.targetHost, 'xmpp.ok.signed.test');
    assert.deepEqual(
      byPort[5269]!.dane!.tlsa.map((r) => `${r.usage} ${r.selector} ${r.matching} ${r.data.toString('hex').toUpperCase()}`),
      [`3 1 1 ${KEY}`],
    );
    assert.deepEqual([byPort[5270]!.directTls, byPort[5270]!.dane!.tlsa], [true, []]);
  });

  it('an unsigned domain: DANE does not apply; the SRV target by name as without DANE', async () => {
    const c = config();
    const why: unknown[] = [];
    const targets = await targetsOf('x.plain.test', c, nodeResolver(), daneLookup(c.dane), (_msg, fields) => why.push(fields.why));
    assert.deepEqual(targets, [{ host: 'xmpp.x.plain.test', port: 5269, directTls: false }]);
    assert.deepEqual(why, ['the SRV answer is not DNSSEC-signed']);
  });

  it('a bogus SRV answer: refused (RFC 7673 §3.1), never tried without DANE', async () => {
    const c = config();
    await assert.rejects(targetsOf('bad.signed.test', c, nodeResolver(), daneLookup(c.dane)), (err: Error) => {
      assert.ok(err instanceof DaneLookupError);
      assert.match(err.message, /SRV lookup for bad\.signed\.test: SERVFAIL/);
      return true;
    });
  });

  it('a static route: no DNS at all', async () => {
    const c = config({ 'ok.signed.test': { host: '10.0.0.1', port: 5999 } });
    const asked: string[] = [];
    const lookup = daneLookup(c.dane)!;
    const targets = await targetsOf('ok.signed.test', c, nodeResolver(), (name, type) => (asked.push(name), lookup(name, type)));
    assert.deepEqual(targets, [{ host: '10.0.0.1', port: 5999, directTls: false }]);
    assert.deepEqual(asked, []);
  });
});
