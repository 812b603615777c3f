import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';

/** edge.maxSessionsPerAccount: RFC 6120 §7.6.2.1 <resource-constraint/> past the cap. */
describe('sessions per account', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const authenticated = async (): Promise<RawClient> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    await c.open(DOMAIN);
    assert.equal((await c.scram('alice', 'secret', 'SCRAM-SHA-256')).name, 'success');
    await c.open(DOMAIN);
    return c;
  };
  const bind = async (c: RawClient, resource: string): Promise<Element> => {
    c.send(xml('iq', { type: 'set', id: `b-${resource}` }, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }, xml('resource', {}, resource))));
    return c.element();
  };

  before(async () => {
    h = await startEdge({ edge: { maxSessionsPerAccount: 3 } });
    await h.addUser('alice', 'secret');
    await h.addUser('bob', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test('the bind past the cap is refused with <resource-constraint/> (wait); the stream stays usable', async () => {
    const bound = [];
    for (const r of ['a', 'b', 'c']) {
      const c = await authenticated();
      assert.equal((await bind(c, r)).attrs.type, 'result');
      bound.push(c);
    }
    const fourth = await authenticated();
    const refused = await bind(fourth, 'd');
    assert.equal(refused.attrs.type, 'error');
    const error = refused.getChild('error')!;
    assert.equal(error.attrs.type, 'wait');
    assert.ok(error.getChild('resource-constraint', 'urn:ietf:params:xml:ns:xmpp-stanzas'), String(refused));
    assert.equal((await h.registry.ofUser('alice@example.test')).length, 3);
    // other accounts are not affected
    const bob = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(bob);
    assert.equal(await bob.login(DOMAIN, 'bob', 'secret', 'x'), 'bob@example.test/x');
    // rebinding a bound resource replaces it: no new session, so it is allowed
    const again = await authenticated();
    assert.equal((await bind(again, 'a')).attrs.type, 'result');
    assert.equal(await bound[0]!.streamError(), 'conflict');
    // one leaves: the refused stream may bind now
    bound[1]!.send('</stream:stream>');
    await bound[1]!.waitClosed();
    await waitFor(async () => (await h.registry.ofUser('alice@example.test')).length === 2, { what: 'the session to end' });
    assert.equal((await bind(fourth, 'd')).attrs.type, 'result');
  });
});
