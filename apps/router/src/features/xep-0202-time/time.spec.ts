import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness } from '../../testing/router-harness.js';

let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start();
});
after(() => h.close());

test('XEP-0202: the server tells its time in UTC', async () => {
  const edge = h.edge();
  const a = await edge.bind(`${await h.createUser('alice')}/pc`);
  const r = await edge.ask(a, xml('iq', { to: DOMAIN, type: 'get' }, xml('time', { xmlns: 'urn:xmpp:time' })));
  const t = r.getChild('time', 'urn:xmpp:time')!;
  assert.equal(t.getChildText('tzo'), '+00:00');
  assert.match(t.getChildText('utc') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});
