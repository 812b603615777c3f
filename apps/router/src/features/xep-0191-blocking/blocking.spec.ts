import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NS } from '#libs/stanza';
import { xml } from '#libs/xml';
import { RouterHarness, errorCondition } from '../../testing/router-harness.js';

let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start();
});
after(() => h.close());

const chat = (to: string, id: string, body: string) => xml('message', { to, id, type: 'chat' }, xml('body', {}, body));

test('§3.5 inbound: a blocked sender’s message and IQ get learn <service-unavailable/> (no <blocked/>); its IQ results are dropped', async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice-in');
  const bob = await h.createUser('bob-in');
  // a bare JID and a domain (remote senders at it); stored before this router reads alice's list
  await h.storage.blocklist.add(alice, [bob, 'spam.example'], 10);
  const a = await edge.bind(`${alice}/pc`, { available: true });
  const b = await edge.bind(`${bob}/pc`, { available: true });
  await edge.send(b, chat(alice, 'm1', 'to the bare JID'));
  await edge.send(b, chat(a.jid, 'm2', 'to the full JID'));
  await edge.send(b, xml('iq', { to: a.jid, id: 'q1', type: 'get' }, xml('query', { xmlns: 'jabber:iq:version' })));
  await edge.send(b, xml('iq', { to: a.jid, id: 'r1', type: 'result' }));
  await h.request(xml('message', { from: 'x@spam.example/r', to: a.jid, type: 'chat', id: 'm3' }, xml('body', {}, 'remote')));
  await h.delivered();
  assert.equal(edge.for(a).length, 0, 'nothing reaches alice');
  for (const id of ['m1', 'm2', 'q1']) {
    const err = edge.for(b).find((e) => e.attrs.id === id);
    assert.equal(err?.attrs.type, 'error', id);
    assert.ok(err, id);
    assert.equal(errorCondition(err), 'service-unavailable', id);
    assert.equal(err?.getChild('error')?.getChild('blocked', NS.blockingErrors), undefined, 'the block is not revealed');
  }
  assert.equal(edge.for(b).filter((e) => e.attrs.id === 'r1').length, 0);
});

test('§3.5 outbound: to a blocked JID → <not-acceptable/> with <blocked/>; the user’s own resources are never blocked', async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice-out');
  const carol = await h.createUser('carol-out');
  await h.storage.blocklist.add(alice, [carol, h.config.domains[0]!], 10);
  const a = await edge.bind(`${alice}/pc`, { available: true });
  const a2 = await edge.bind(`${alice}/phone`, { available: true });
  const c = await edge.bind(`${carol}/pc`, { available: true });
  await edge.send(a, chat(carol, 'o1', 'to a blocked contact'));
  await edge.send(a, xml('iq', { to: c.jid, id: 'o2', type: 'get' }, xml('query', { xmlns: 'jabber:iq:version' })));
  await edge.send(a, chat(a2.jid, 'o3', 'to my phone'));
  await h.delivered();
  for (const id of ['o1', 'o2']) {
    const err = edge.for(a).find((e) => e.attrs.id === id);
    assert.equal(errorCondition(err!), 'not-acceptable', id);
    assert.ok(err?.getChild('error')?.getChild('blocked', NS.blockingErrors), id);
  }
  assert.equal(edge.for(c).length, 0);
  assert.equal(
    edge
      .for(a2)
      .find((e) => e.attrs.id === 'o3')
      ?.getChildText('body'),
    'to my phone',
  );
});
