import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml } from '#libs/xml';
import { bounceOf } from './s2s-routing.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

test('a join of a room in an unreachable domain (directed presence to room/nick) bounces as presence of type error, at once', () => {
  const join = xml(
    'presence',
    { from: 'alice@a.test/laptop', to: 'room@conference.p.test/alice', id: 'j1' },
    xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
  );
  const err = bounceOf(join, 'remote-server-not-found', 'conference.p.test cannot be reached from here');
  assert.ok(err);
  assert.equal(err.name, 'presence');
  assert.deepEqual([err.attrs.type, err.attrs.from, err.attrs.to, err.attrs.id], ['error', 'room@conference.p.test/alice', 'alice@a.test/laptop', 'j1']);
  assert.equal(err.getChild('error')?.attrs.type, 'cancel');
  assert.ok(err.getChild('error')?.getChild('remote-server-not-found', STANZAS));
});

test('broadcast presence (bare JID), unavailable, probes and subscriptions bounce nothing; messages and IQs do', () => {
  const nothing = [
    xml('presence', { from: 'alice@a.test/laptop', to: 'bob@p.test' }),
    xml('presence', { from: 'alice@a.test/laptop', to: 'room@conference.p.test/alice', type: 'unavailable' }),
    xml('presence', { from: 'alice@a.test', to: 'bob@p.test', type: 'probe' }),
    xml('presence', { from: 'alice@a.test', to: 'bob@p.test', type: 'subscribe' }),
    xml('presence', { from: 'alice@a.test/laptop', to: 'bob@p.test/phone', type: 'error' }),
  ];
  for (const el of nothing) assert.equal(bounceOf(el, 'remote-server-not-found', 'x'), undefined, el.toString());
  assert.equal(
    bounceOf(xml('message', { from: 'alice@a.test/laptop', to: 'bob@p.test', type: 'chat' }), 'remote-server-timeout', 'x')?.getChild('error')?.attrs.type,
    'wait',
  );
  assert.equal(bounceOf(xml('iq', { from: 'alice@a.test/laptop', to: 'p.test', type: 'get', id: 'v' }), 'remote-server-not-found', 'x')?.attrs.type, 'error');
});
