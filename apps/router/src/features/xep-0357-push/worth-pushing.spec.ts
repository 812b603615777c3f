import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml } from '#libs/xml';
import { worthPushing } from './worth-pushing.js';

const msg = (type: string | undefined, ...children: ReturnType<typeof xml>[]) =>
  xml('message', { to: 'a@example.com', ...(type ? { type } : {}) }, ...children);

test('a body, an end-to-end encrypted payload or a call proposal wakes the app; chat states, receipts, markers, errors and headlines alone do not', () => {
  assert.ok(worthPushing(msg('chat', xml('body', {}, 'hi'))));
  assert.ok(worthPushing(msg(undefined, xml('body', {}, 'normal'))));
  assert.ok(worthPushing(msg('groupchat', xml('body', {}, 'in a room'))));
  assert.ok(worthPushing(msg('chat', xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' }))), 'OMEMO without a fallback body');
  assert.ok(worthPushing(msg('chat', xml('encrypted', { xmlns: 'urn:xmpp:omemo:2' }))));
  assert.ok(worthPushing(msg('chat', xml('openpgp', { xmlns: 'urn:xmpp:openpgp:0' }))));
  assert.ok(worthPushing(msg(undefined, xml('propose', { xmlns: 'urn:xmpp:jingle-message:0', id: 'c1' }))), 'a call rings');
  assert.ok(!worthPushing(msg('chat', xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }))));
  assert.ok(!worthPushing(msg('chat', xml('received', { xmlns: 'urn:xmpp:receipts', id: 'm1' }))));
  assert.ok(!worthPushing(msg('chat', xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'm1' }))));
  assert.ok(!worthPushing(msg('chat', xml('retract', { xmlns: 'urn:xmpp:jingle-message:0', id: 'c1' }))), 'a call stopped ringing: nothing to wake for');
  assert.ok(!worthPushing(msg('error', xml('body', {}, 'bounced'))));
  assert.ok(!worthPushing(msg('headline', xml('body', {}, 'news'))));
});
