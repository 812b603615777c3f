import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { xml } from '#libs/xml';
import { RouterHarness, errorCondition } from '../../testing/router-harness.js';

let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start({ config: { features: { vcard: { maxBytes: 200 } } } });
});
after(() => h.close());

test("XEP-0054: set own, get own and others', never set another's; size limit", async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const bob = await h.createUser('bob');
  const a = await edge.bind(`${alice}/pc`);
  const b = await edge.bind(`${bob}/pc`);
  const empty = await edge.ask(b, xml('iq', { to: alice, type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' })));
  assert.equal(empty.getChild('vCard', 'vcard-temp')?.elements().length, 0, 'no vCard yet: an empty one');
  const set = await edge.ask(a, xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice A.'))));
  assert.equal(set.attrs.type, 'result');
  const own = await edge.ask(a, xml('iq', { type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' })));
  assert.equal(own.getChild('vCard', 'vcard-temp')?.getChildText('FN'), 'Alice A.');
  const other = await edge.ask(b, xml('iq', { to: alice, type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' })));
  assert.equal(other.getChild('vCard', 'vcard-temp')?.getChildText('FN'), 'Alice A.');
  assert.equal(other.attrs.from, alice);
  const forbidden = await edge.ask(b, xml('iq', { to: alice, type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'x'))));
  assert.equal(errorCondition(forbidden), 'forbidden');
  const big = await edge.ask(a, xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('NOTE', {}, 'x'.repeat(300)))));
  assert.equal(errorCondition(big), 'not-acceptable');
});
