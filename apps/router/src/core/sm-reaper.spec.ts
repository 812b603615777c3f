import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buckets, keys } from '#libs/bus';
import { ResumableStore, type ResumableRecord, type SessionInfo } from '#libs/sessions';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { RouterHarness } from '../testing/router-harness.js';
import { SmReaper } from './sm-reaper.js';

/** XEP-0198 on the router's side: holding for a session whose connection is gone, the timeout, orphans. */
let h: RouterHarness;
let store: ResumableStore;
before(async () => {
  h = await RouterHarness.start();
  store = new ResumableStore(h.bus);
});
after(() => h.close());

async function resumable(jid: string, edgeId: string): Promise<SessionInfo> {
  const info: SessionInfo = { jid, edgeId, sessionId: randomUUID(), priority: 0, available: true, interested: false, boundAtMs: Date.now() };
  await h.registry.bind(info, 'replace');
  const record: ResumableRecord = { v: 1, jid, state: 'attached', edgeId, inH: 0, acked: 0, sent: 0, timeoutSec: 60, expiresAtMs: 0 };
  await store.create(info.sessionId, record);
  return info;
}
const chat = (to: string, id: string) => xml('message', { to, type: 'chat', id }, xml('body', {}, id));

test('a delivery the session does not take is held in its queue (not offline); at the timeout the queue goes offline in order and ENDED is published', async () => {
  const alice = await h.createUser('alice');
  const bob = await h.createUser('bob');
  const edge = h.edge('edge-sm');
  const phone = await resumable(`${alice}/phone`, 'edge-sm');
  edge.behave(phone, 'gone'); // the connection is gone, the session waits for a resume
  const edgeB = h.edge('edge-b');
  const sender = await edgeB.bind(`${bob}/pc`);
  for (const id of ['m1', 'm2', 'm3']) assert.ok((await edgeB.send(sender, chat(phone.jid, id))).taken);
  assert.deepEqual(
    (await store.items(phone.sessionId)).map((i) => i.item.i),
    ['m1', 'm2', 'm3'],
    'held, in order',
  );
  assert.equal(await h.storage.offline.count(alice), 0, 'not sent to offline storage');

  const reaper = new SmReaper(h.routers[0]!.runtime);
  assert.equal(reaper.detached, undefined, 'nothing known before the first pass');
  assert.equal(await reaper.reap(), 0, 'not expired: an attached session is not ended');
  assert.equal(reaper.detached, 0, 'an attached session is not detached');
  const waiting = (await store.get(phone.sessionId))!;
  await store.update(phone.sessionId, { ...waiting.record, state: 'detached', expiresAtMs: Date.now() + 60_000 }, waiting.revision);
  await store.markDetached(phone.sessionId, Date.now() + 60_000);
  assert.equal(await reaper.reap(), 0, 'detached, not yet expired');
  assert.equal(reaper.detached, 1, 'glider_sm_detached_sessions counts it');
  const cur = (await store.get(phone.sessionId))!;
  await store.update(phone.sessionId, { ...cur.record, state: 'detached', expiresAtMs: Date.now() - 1 }, cur.revision);
  await store.markDetached(phone.sessionId, Date.now() - 1);
  assert.equal(await reaper.reap(), 1);
  assert.equal(reaper.detached, 0, 'ended: no longer counted');
  const stored = await h.storage.offline.list(alice);
  assert.deepEqual(
    stored.map((m) => /id="(m\d)"/.exec(m.xml)?.[1]),
    ['m1', 'm2', 'm3'],
  );
  assert.equal(await store.get(phone.sessionId), undefined, 'the record is gone');
  assert.equal(await h.registry.get(phone.jid), undefined, 'the session is gone from the registry');
  await waitFor(() => h.toPresence.some((f) => f.session?.kind === 'ENDED' && f.session.jid === phone.jid), { what: 'presence to hear it ended' });
});

test('an orphan (attached on a dead edge, its resource bound afresh meanwhile) is ended by the full scan: its queue is routed again', async () => {
  const carol = await h.createUser('carol');
  const old = await resumable(`${carol}/tab`, 'edge-dead');
  await store.putItem(old.sessionId, {
    v: 1,
    n: 1,
    x: `<message to="${carol}/tab" type="chat" id="o1" from="${carol}/x"><body>o1</body></message>`,
    k: 'MESSAGE',
    t: 'chat',
    i: 'o1',
    to: `${carol}/tab`,
    fr: `${carol}/x`,
  });
  const newEdge = h.edge('edge-new');
  const fresh = await newEdge.bind(`${carol}/tab`); // replaces the registry record
  assert.notEqual(fresh.sessionId, old.sessionId);
  // The same on a live edge is left alone (its own stream ends the session).
  const dave = await h.createUser('dave');
  const live = await resumable(`${dave}/tab`, 'edge-live');
  const heartbeats = await h.bus.kv(buckets.edges, { ttlMs: 3 * h.config.bus.heartbeatMs });
  await heartbeats.put(keys.edge('edge-live'), new TextEncoder().encode('1'));
  await h.edge('edge-live2').bind(`${dave}/tab`);
  const ended = await new SmReaper(h.routers[0]!.runtime, 1).reap();
  assert.equal(ended, 1);
  assert.equal(await store.get(old.sessionId), undefined);
  assert.equal((await store.get(live.sessionId))?.record.state, 'attached', 'a live edge keeps its session');
  // routed again to carol/tab: the fresh session there takes it
  const got = await newEdge.waitFor(fresh, 1);
  assert.equal(got[0]!.attrs.id, 'o1');
});
