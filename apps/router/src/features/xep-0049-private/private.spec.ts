import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { xml } from '#libs/xml';
import { RouterHarness, errorCondition } from '../../testing/router-harness.js';

const PRIVATE = 'jabber:iq:private';
let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start();
});
after(() => h.close());

test("XEP-0049: store and read one's own elements; others' are forbidden; jabber:* refused", async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const bob = await h.createUser('bob');
  const a = await edge.bind(`${alice}/pc`);
  const b = await edge.bind(`${bob}/pc`);
  const nothing = await edge.ask(a, xml('iq', { type: 'get' }, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' }))));
  assert.equal(nothing.getChild('query', PRIVATE)?.getChild('storage')?.elements().length, 0);
  const stored = xml('storage', { xmlns: 'storage:bookmarks' }, xml('conference', { jid: 'room@muc.example.com', name: 'Room' }));
  assert.equal((await edge.ask(a, xml('iq', { type: 'set' }, xml('query', { xmlns: PRIVATE }, stored)))).attrs.type, 'result');
  const back = await edge.ask(a, xml('iq', { type: 'get' }, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' }))));
  assert.equal(back.getChild('query', PRIVATE)?.getChild('storage')?.getChild('conference')?.attrs.name, 'Room');
  const other = await edge.ask(b, xml('iq', { to: alice, type: 'get' }, xml('query', { xmlns: PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' }))));
  assert.equal(errorCondition(other), 'forbidden');
  for (const ns of ['jabber:client', 'jabber:server', PRIVATE]) {
    const r = await edge.ask(a, xml('iq', { type: 'set' }, xml('query', { xmlns: PRIVATE }, xml('x', { xmlns: ns }))));
    assert.equal(errorCondition(r), 'not-acceptable', ns);
  }
  const noNs = await edge.ask(a, xml('iq', { type: 'get' }, xml('query', { xmlns: PRIVATE })));
  assert.equal(errorCondition(noNs), 'bad-request');
});
