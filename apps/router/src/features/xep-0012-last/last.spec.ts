import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RosterItem } from '#libs/storage';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition } from '../../testing/router-harness.js';

const LAST = 'jabber:iq:last';
const item = (jid: string, subscription: RosterItem['subscription']): RosterItem => ({
  jid,
  subscription,
  askOut: false,
  askIn: false,
  approved: false,
  groups: [],
});
let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start();
});
after(() => h.close());

test("XEP-0012: server uptime; a contact's idle time for subscribers only, 0 while online", async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const bob = await h.createUser('bob');
  const carol = await h.createUser('carol');
  await h.storage.rosters.modify(alice, bob, () => item(bob, 'both'));
  const b = await edge.bind(`${bob}/pc`);
  const c = await edge.bind(`${carol}/pc`);
  const up = await edge.ask(b, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: LAST })));
  assert.match(up.getChild('query', LAST)?.attrs.seconds ?? '', /^\d+$/);

  const none = await edge.ask(b, xml('iq', { to: alice, type: 'get' }, xml('query', { xmlns: LAST })));
  assert.equal(errorCondition(none), 'item-not-found', 'never logged out yet');
  await h.storage.lastActivity.set(alice, { at: new Date(Date.now() - 120_000), status: 'Heading home' });
  const idle = await edge.ask(b, xml('iq', { to: alice, type: 'get' }, xml('query', { xmlns: LAST })));
  const q = idle.getChild('query', LAST)!;
  assert.ok(Number(q.attrs.seconds) >= 120);
  assert.equal(q.text(), 'Heading home');

  const stranger = await edge.ask(c, xml('iq', { to: alice, type: 'get' }, xml('query', { xmlns: LAST })));
  assert.equal(errorCondition(stranger), 'forbidden');

  await edge.bind(`${alice}/pc`);
  const online = await edge.ask(b, xml('iq', { to: alice, type: 'get' }, xml('query', { xmlns: LAST })));
  assert.equal(online.getChild('query', LAST)?.attrs.seconds, '0');
});
