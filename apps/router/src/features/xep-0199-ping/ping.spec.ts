import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness } from '../../testing/router-harness.js';

let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start();
});
after(() => h.close());

test('XEP-0199: the server and a bare account JID answer pings', async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const bob = await h.createUser('bob');
  const a = await edge.bind(`${alice}/pc`);
  for (const to of [DOMAIN, bob, undefined]) {
    const r = await edge.ask(a, xml('iq', { ...(to ? { to } : {}), type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(r.attrs.type, 'result', String(to));
    assert.equal(r.attrs.from, to);
    assert.equal(r.elements().length, 0);
  }
});
