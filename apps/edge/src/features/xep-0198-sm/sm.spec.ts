import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Delivery, SESSION_GONE, buckets, type StanzaEnvelope } from '#libs/bus';
import { endResumable, ResumableStore } from '#libs/sessions';
import { waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';
import { fromWire, parseH, toWire, WRAP } from './sm-counter.js';

const SM = 'urn:xmpp:sm:3';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

test('h wraps at 2^32 (XEP-0198 §4) and is read back relative to the last ack', () => {
  assert.equal(toWire(WRAP + 3), 3);
  assert.equal(fromWire(3, WRAP - 2), WRAP + 3);
  assert.equal(fromWire(5, 5), 5);
  assert.equal(fromWire(7, 5), 7);
  assert.equal(parseH('4294967295'), WRAP - 1);
  assert.equal(parseH('4294967296'), undefined);
  assert.equal(parseH('-1'), undefined);
  assert.equal(parseH('1e3'), undefined);
});

/**
 * XEP-0198 against a real edge (in-process bus, embedded storage; the harness's router echoes a
 * client's messages back to it, so there are stanzas to count both ways).
 */
describe('stream management on the edge', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const store = (): ResumableStore => new ResumableStore(h.bus);

  const connect = async (): Promise<RawClient> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    return c;
  };
  /** Authenticated (stream restarted), not bound: where <resume/> goes. */
  const authenticated = async (user = 'alice'): Promise<{ c: RawClient; features: Element }> => {
    const c = await connect();
    await c.open(DOMAIN);
    assert.equal((await c.scram(user, 'secret', 'SCRAM-SHA-256')).name, 'success');
    return { c, features: await c.open(DOMAIN) };
  };
  const enabled = async (resource: string, user = 'alice'): Promise<{ c: RawClient; id: string }> => {
    const { c } = await authenticated(user);
    await c.bind(resource);
    c.send(xml('enable', { xmlns: SM, resume: 'true' }));
    const el = await c.element();
    assert.equal(el.name, 'enabled', String(el));
    return { c, id: el.attrs.id! };
  };
  const chat = (id: string): Element => xml('message', { to: `alice@${DOMAIN}`, type: 'chat', id }, xml('body', {}, id));
  /** Reads until an element that is not an <r/> (answering those), returning it. */
  const nextNonR = async (c: RawClient, handled: { h: number }): Promise<Element> => {
    for (;;) {
      const el = await c.element();
      if (el.name === 'r' && el.attrs.xmlns === SM) c.send(xml('a', { xmlns: SM, h: String(handled.h) }));
      else return el;
    }
  };

  before(async () => {
    h = await startEdge({ edge: { sm: { enabled: true, requestAckEvery: 2, resumeTimeoutSec: 60, trimBatch: 1 } } });
    await h.addUser('alice', 'secret');
    await h.addUser('bob', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test('<sm/> is offered after authentication only (§2)', async () => {
    const c = await connect();
    const before = await c.open(DOMAIN);
    assert.equal(before.getChild('sm', SM), undefined);
    assert.equal((await c.scram('alice', 'secret', 'SCRAM-SHA-256')).name, 'success');
    const after = await c.open(DOMAIN);
    assert.ok(after.getChild('sm', SM), String(after));
  });

  test('enable before bind, and a second enable, get <failed><unexpected-request/></failed> (§3, §6)', async () => {
    const { c } = await authenticated();
    c.send(xml('enable', { xmlns: SM }));
    const early = await c.element();
    assert.equal(early.name, 'failed');
    assert.ok(early.getChild('unexpected-request', STANZAS), String(early));
    await c.bind('early');
    c.send(xml('enable', { xmlns: SM, resume: 'true' }));
    const ok = await c.element();
    assert.equal(ok.name, 'enabled');
    assert.equal(ok.attrs.resume, 'true');
    assert.equal(ok.attrs.max, '60');
    c.send(xml('enable', { xmlns: SM }));
    const again = await c.element();
    assert.equal(again.name, 'failed');
    assert.ok(again.getChild('unexpected-request', STANZAS));
  });

  test('<r/> is answered with the stanzas handled; the server asks with <r/> and counts what it sent (§4)', async () => {
    const { c } = await enabled('acks');
    c.send(chat('m1'));
    c.send(chat('m2'));
    c.send(xml('r', { xmlns: SM }));
    const got: Element[] = [];
    let ack: Element | undefined;
    let request = false;
    while (!ack || got.length < 2 || !request) {
      const el = await c.element();
      if (el.name === 'a') ack = el;
      else if (el.name === 'r') request = true;
      else got.push(el);
    }
    assert.equal(ack.attrs.h, '2');
    assert.deepEqual(
      got.map((e) => e.attrs.id),
      ['m1', 'm2'],
    );
    c.send(xml('a', { xmlns: SM, h: '2' }));
    c.send(xml('r', { xmlns: SM }));
    assert.equal((await c.element()).attrs.h, '2');
  });

  test('an <a/> acknowledging more than was sent ends the stream with handled-count-too-high (§4)', async () => {
    const { c } = await enabled('toohigh');
    c.send(xml('a', { xmlns: SM, h: '5' }));
    let err: Element | undefined;
    while (!err) {
      const el = await c.element();
      if (el.name === 'stream:error') err = el;
    }
    assert.ok(err.getChild('undefined-condition', 'urn:ietf:params:xml:ns:xmpp-streams'), String(err));
    const detail = err.getChild('handled-count-too-high', SM);
    assert.equal(detail?.attrs.h, '5');
    assert.equal(detail?.attrs['send-count'], '0');
  });

  test('resume with an unknown id, another user’s id, or before authentication fails (§5, §6)', async () => {
    const { id } = await enabled('mine');
    const bob = await authenticated('bob');
    bob.c.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    const other = await bob.c.element();
    assert.equal(other.name, 'failed');
    assert.ok(other.getChild('item-not-found', STANZAS), String(other));
    bob.c.send(xml('resume', { xmlns: SM, previd: '00000000-0000-4000-8000-000000000000', h: '0' }));
    assert.ok((await bob.c.element()).getChild('item-not-found', STANZAS));
    bob.c.send(xml('resume', { xmlns: SM, previd: id }));
    assert.ok((await bob.c.element()).getChild('bad-request', STANZAS));
    // bob's refused attempts left alice's session as it was
    assert.equal((await store().get(id))?.record.state, 'attached');
  });

  test('a lost connection detaches the session; a resume replays what was not acknowledged, in order, and counts on (§5)', async () => {
    const { c, id } = await enabled('phone');
    const handled = { h: 0 };
    for (const n of ['a1', 'a2', 'a3']) c.send(chat(n));
    const seen: string[] = [];
    while (seen.length < 3) {
      const el = await nextNonR(c, handled);
      if (el.name === 'message') seen.push(el.attrs.id!);
    }
    assert.deepEqual(seen, ['a1', 'a2', 'a3']);
    c.send(xml('a', { xmlns: SM, h: '1' })); // only a1 handled
    c.send(xml('r', { xmlns: SM }));
    for (;;) if ((await c.element()).name === 'a') break; // our <a/> is in: the server has h=1
    c.close();
    await waitFor(async () => (await store().get(id))?.record.state === 'detached', { what: 'the session to detach' });
    assert.ok((await h.registry.get(`alice@${DOMAIN}/phone`))?.sessionId === id, 'the registry keeps a detached session');
    // a2 and a3 were not acknowledged: the router hears it (XEP-0357 push tells the app)
    await waitFor(
      () => h.routed.some((f) => f.session?.kind === 'DETACHED' && f.session.session?.sessionId === id && f.session.jid === `alice@${DOMAIN}/phone`),
      {
        what: 'DETACHED to the router',
      },
    );

    const again = await authenticated();
    again.c.send(xml('resume', { xmlns: SM, previd: id, h: '1' }));
    const resumed = await again.c.element();
    assert.equal(resumed.name, 'resumed', String(resumed));
    assert.equal(resumed.attrs.previd, id);
    assert.equal(resumed.attrs.h, '3', 'the server handled the three messages the client sent');
    const replayed = [(await again.c.element()).attrs.id, (await again.c.element()).attrs.id];
    assert.deepEqual(replayed, ['a2', 'a3']);
    // The count goes on from the client's h: a2, a3 are 2 and 3; the next echo is 4.
    again.c.send(chat('a4'));
    const a4 = await nextNonR(again.c, { h: 3 });
    assert.equal(a4.attrs.id, 'a4');
    again.c.send(xml('a', { xmlns: SM, h: '4' }));
    again.c.send(xml('r', { xmlns: SM }));
    for (;;) {
      const el = await again.c.element();
      if (el.name === 'a') {
        assert.equal(el.attrs.h, '4');
        break;
      }
    }
    await waitFor(async () => (await store().items(id)).length === 0, { what: 'acknowledged stanzas to leave the queue' });
    // A second resume of the same id while this one holds it takes it over: the old stream gets <conflict/>.
    const third = await authenticated();
    third.c.send(xml('resume', { xmlns: SM, previd: id, h: '4' }));
    assert.equal((await third.c.element()).name, 'resumed');
    assert.equal(await again.c.streamError(), 'conflict');
  });

  test('a stanza in the queue twice (stored by an edge that died, held again by a router) is replayed once; a later delivery of it is taken, not written', async () => {
    const { c, id } = await enabled('twice');
    const handled = { h: 0 };
    for (const n of ['d1', 'd2']) c.send(chat(n));
    const seen: string[] = [];
    while (seen.length < 2) {
      const el = await nextNonR(c, handled);
      if (el.name === 'message') seen.push(el.attrs.id!);
    }
    // the echoes carry the sender's session keys (its route lane), kept with them in the queue
    await waitFor(async () => (await store().items(id)).filter((i) => i.item.sk).length === 2, { what: 'both echoes stored with their keys' });
    const stored = await store().items(id);
    const d2 = stored.find((i) => Buffer.from(i.item.x).toString('utf8').includes('id="d2"'))!.item;
    c.close();
    await waitFor(async () => (await store().get(id))?.record.state === 'detached', { what: 'the session to detach' });
    // what a router does when its delivery of d2 to the edge that stored it failed: holds it again
    await store().putHeldItem(id, { ...d2, n: undefined });
    await store().putHeldItem(id, {
      ...d2,
      n: undefined,
      sk: 'other-session.1',
      x: Buffer.from(Buffer.from(d2.x).toString('utf8').replace('id="d2"', 'id="d3"')),
    });
    const again = await authenticated();
    again.c.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    assert.equal((await again.c.element()).name, 'resumed');
    const replayed: string[] = [];
    while (replayed.length < 3) {
      const el = await nextNonR(again.c, { h: 0 });
      if (el.name === 'message') replayed.push(el.attrs.id!);
    }
    assert.deepEqual(replayed, ['d1', 'd2', 'd3'], 'd2 once');
    // the router routes d1 again (its Ack was lost with the dead edge): taken, not written twice
    const jid = `alice@${DOMAIN}/twice`;
    const target = { edgeId: h.edge.edgeId, sessionId: id };
    const delivery = new Delivery(h.bus, 5_000);
    const d1 = stored.find((i) => Buffer.from(i.item.x).toString('utf8').includes('id="d1"'))!.item;
    const env = (xmlText: string, sessionKey?: string): StanzaEnvelope => ({
      from: jid,
      to: jid,
      kind: 'MESSAGE',
      type: 'chat',
      id: 'x',
      xml: Buffer.from(xmlText),
      ...(sessionKey ? { sessionKey } : {}),
    });
    assert.deepEqual(await delivery.toSession(env(Buffer.from(d1.x).toString('utf8'), d1.sk), target), { ok: true });
    assert.deepEqual(await delivery.toSession(env(`<message from="${jid}" to="${jid}" type="chat" id="after"><body>after</body></message>`), target), {
      ok: true,
    });
    const next = await nextNonR(again.c, { h: 3 });
    assert.equal(next.attrs.id, 'after', 'd1 was not written again');
  });

  test('a delivery is acknowledged once written in order, not when its own store returned before an earlier one', async () => {
    // The sender orders on the ack (presence answers a roster removal after the contact's
    // <unsubscribe/> was taken): B stored while A's store still runs must not be acknowledged
    // before it can be written, behind A.
    const { c } = await enabled('order', 'bob');
    const jid = `bob@${DOMAIN}/order`;
    const target = { edgeId: h.edge.edgeId, sessionId: (await h.registry.get(jid))!.sessionId };
    const kv = await h.bus.kv(buckets.resumable);
    const put = kv.put.bind(kv);
    const events: string[] = [];
    let releaseA!: () => void;
    const aMayStore = new Promise<void>((resolve) => (releaseA = resolve));
    kv.put = async (key: string, value: Uint8Array): Promise<number> => {
      const text = Buffer.from(value).toString('utf8');
      if (text.includes('order-A')) await aMayStore;
      const revision = await put(key, value);
      if (text.includes('order-B')) events.push('B stored');
      return revision;
    };
    try {
      const delivery = new Delivery(h.bus, 5_000);
      const envelope = (id: string): StanzaEnvelope => ({
        from: `carol@${DOMAIN}/x`,
        to: jid,
        kind: 'MESSAGE',
        type: 'chat',
        id,
        xml: Buffer.from(`<message from="carol@${DOMAIN}/x" to="${jid}" type="chat" id="${id}"><body>${id}</body></message>`),
      });
      const a = delivery.toSession(envelope('order-A'), target).then((o) => (events.push('A acked'), o));
      const b = delivery.toSession(envelope('order-B'), target).then((o) => (events.push('B acked'), o));
      await waitFor(() => events.includes('B stored'), { what: 'B to be stored' });
      await h.bus.flush(); // any answer the edge sent by now has arrived
      assert.deepEqual(events, ['B stored'], 'B is not acknowledged while A, before it, is not stored and written');
      releaseA();
      assert.deepEqual(await Promise.all([a, b]), [{ ok: true }, { ok: true }]);
      assert.deepEqual(events, ['B stored', 'A acked', 'B acked']);
      const handled = { h: 0 };
      assert.equal((await nextNonR(c, handled)).attrs.id, 'order-A');
      assert.equal((await nextNonR(c, handled)).attrs.id, 'order-B');
    } finally {
      kv.put = put;
      releaseA();
    }
  });

  test('a stanza stored while an earlier one is still being stored, when the connection drops: handed back, its stored copy gone', async () => {
    // Not acknowledged yet (above), so its sender still owns it and routes it again: the queue
    // must not also replay it at a resume (a duplicate).
    const { c, id } = await enabled('drop', 'bob');
    const jid = `bob@${DOMAIN}/drop`;
    const target = { edgeId: h.edge.edgeId, sessionId: (await h.registry.get(jid))!.sessionId };
    const kv = await h.bus.kv(buckets.resumable);
    const put = kv.put.bind(kv);
    const stored: string[] = [];
    let releaseA!: () => void;
    const aMayStore = new Promise<void>((resolve) => (releaseA = resolve));
    kv.put = async (key: string, value: Uint8Array): Promise<number> => {
      const text = Buffer.from(value).toString('utf8');
      if (text.includes('drop-A')) await aMayStore;
      const revision = await put(key, value);
      if (text.includes('drop-B')) stored.push('B');
      return revision;
    };
    try {
      const delivery = new Delivery(h.bus, 5_000);
      const envelope = (mid: string): StanzaEnvelope => ({
        from: `carol@${DOMAIN}/x`,
        to: jid,
        kind: 'MESSAGE',
        type: 'chat',
        id: mid,
        xml: Buffer.from(`<message from="carol@${DOMAIN}/x" to="${jid}" type="chat" id="${mid}"><body>${mid}</body></message>`),
      });
      const a = delivery.toSession(envelope('drop-A'), target);
      const b = delivery.toSession(envelope('drop-B'), target);
      await waitFor(() => stored.includes('B'), { what: 'B to be stored' });
      c.close(); // no closing tag: a lost connection
      assert.deepEqual(await b, { ok: false, reason: 'refused', detail: SESSION_GONE }, 'B goes back to its sender');
      releaseA();
      assert.deepEqual(await a, { ok: false, reason: 'refused', detail: SESSION_GONE });
      const store = new ResumableStore(h.bus);
      await waitFor(async () => (await store.items(id)).every((i) => !/drop-[AB]/.test(Buffer.from(i.item.x).toString('utf8'))), {
        what: 'no stored copy of what went back',
      });
    } finally {
      kv.put = put;
      releaseA();
    }
  });

  test('resume with an h higher than was sent fails with handled-count-too-high; the session still waits', async () => {
    const { c, id } = await enabled('greedy');
    c.close();
    await waitFor(async () => (await store().get(id))?.record.state === 'detached', { what: 'the session to detach' });
    const again = await authenticated();
    again.c.send(xml('resume', { xmlns: SM, previd: id, h: '9' }));
    const f = await again.c.element();
    assert.equal(f.name, 'failed');
    assert.equal(f.getChild('handled-count-too-high', SM)?.attrs['send-count'], '0');
    assert.equal((await store().get(id))?.record.state, 'detached');
    again.c.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    assert.equal((await again.c.element()).name, 'resumed');
  });

  test('carbons and the blocklist flag survive a resume, also one after the registry record went (XEP-0280, XEP-0191)', async () => {
    const jid = `alice@${DOMAIN}/flags`;
    const { c, id } = await enabled('flags');
    // What the router (carbons enable) and presence (blocklist get) set on the session.
    assert.equal(await h.registry.update(jid, id, { carbons: true, blocklist: true }), true);
    await waitFor(async () => (await h.edge.ctx.registry.get(jid))?.blocklist === true, { what: 'the edge to see the flags' });
    const resume = async (): Promise<void> => {
      await waitFor(async () => (await store().get(id))?.record.state === 'detached', { what: 'the session to detach' });
      const again = await authenticated();
      again.c.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
      assert.equal((await again.c.element()).name, 'resumed');
      await waitFor(async () => (await h.registry.get(jid))?.edgeId === h.edge.edgeId, { what: 'the registry to name the edge' });
      const info = await h.registry.get(jid);
      assert.equal(info?.sessionId, id);
      assert.equal(info?.carbons, true, 'carbons still enabled');
      assert.equal(info?.blocklist, true, 'still gets blocklist pushes');
      await waitFor(async () => (await h.edge.ctx.registry.get(jid))?.carbons === true, { what: 'the edge to see the flags' });
      again.c.close();
    };
    c.close();
    await resume(); // the registry record was kept while detached
    // Gone while detached (e.g. the resource was bound afresh meanwhile, and that session closed).
    await waitFor(async () => (await store().get(id))?.record.state === 'detached', { what: 'the session to detach' });
    assert.ok(await h.registry.remove(jid, id));
    await resume();
  });

  test('resume on a bound stream fails with unexpected-request; the session stays (§5)', async () => {
    const { c, id } = await enabled('bound');
    c.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    const f = await c.element();
    assert.equal(f.name, 'failed');
    assert.ok(f.getChild('unexpected-request', STANZAS), String(f));
    assert.equal((await store().get(id))?.record.state, 'attached');
  });

  test('resume of an expired session fails with item-not-found (§5: max honoured, then the session ended)', async () => {
    const { c: first } = await authenticated();
    await first.bind('expiring');
    first.send(xml('enable', { xmlns: SM, resume: 'true', max: '1' }));
    const en = await first.element();
    assert.equal(en.attrs.max, '1', 'the client asked for 1 s');
    const id = en.attrs.id!;
    first.close();
    await waitFor(async () => (await store().get(id))?.record.state === 'detached', { what: 'the session to detach' });
    const { expiresAtMs } = (await store().get(id))!.record;
    await waitFor(() => Date.now() > expiresAtMs, { what: 'the resumption timeout to pass' });
    // What any router's reaper does once the timeout passed (apps/router sm-reaper.ts).
    const ended = await endResumable(
      {
        bus: h.bus,
        registry: h.registry,
        store: store(),
        partitions: h.edge.ctx.config.bus.partitions,
        routeTimeoutMs: 1000,
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        lastResort: async () => undefined,
      },
      id,
      'timeout',
      (r, now) => r.state === 'detached' && r.expiresAtMs <= now,
    );
    assert.equal(ended, true);
    const again = await authenticated();
    again.c.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    assert.ok((await again.c.element()).getChild('item-not-found', STANZAS));
  });

  test('a clean close ends the session: not resumable, its record gone', async () => {
    const { c, id } = await enabled('clean');
    c.send('</stream:stream>');
    await c.waitClosed();
    await waitFor(async () => (await store().get(id)) === undefined, { what: 'the record to go' });
    const again = await authenticated();
    again.c.send(xml('resume', { xmlns: SM, previd: id, h: '0' }));
    assert.ok((await again.c.element()).getChild('item-not-found', STANZAS));
  });
});
