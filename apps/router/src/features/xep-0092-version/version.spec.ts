import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition } from '../../testing/router-harness.js';

let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start();
});
after(() => h.close());

test('XEP-0092: the server names its software; no OS unless configured; accounts do not answer', async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const a = await edge.bind(`${alice}/pc`);
  const r = await edge.ask(a, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: 'jabber:iq:version' })));
  const q = r.getChild('query', 'jabber:iq:version')!;
  assert.equal(q.getChildText('name'), 'Glider');
  assert.ok(q.getChildText('version'));
  assert.equal(q.getChild('os'), undefined);
  const own = await edge.ask(a, xml('iq', { to: alice, type: 'get' }, xml('query', { xmlns: 'jabber:iq:version' })));
  assert.equal(errorCondition(own), 'service-unavailable');
});
