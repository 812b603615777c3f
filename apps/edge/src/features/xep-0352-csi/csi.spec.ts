import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { StanzaEnvelope } from '#libs/bus';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { Outcome, StanzaMeta } from '../../stream/outgoing.js';

const CSI = 'urn:xmpp:csi:0';

describe('XEP-0352 client state indication', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  before(async () => {
    h = await startEdge({ edge: { csi: { maxHeldStanzas: 4 } } });
    await h.addUser('alice', 'secret');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => h.stop());

  let n = 0;
  const bound = async (): Promise<{ c: RawClient; jid: string; stream: C2sStream }> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    const jid = await c.login(DOMAIN, 'alice', 'secret', `r${++n}`);
    const record = (await h.registry.get(jid))!;
    return { c, jid, stream: h.edge.ctx.sessions.get(record.sessionId)! };
  };
  /** Sends an IQ and reads up to its answer: everything the stream wrote before it, in order. */
  const readUntilPing = async (c: RawClient, id: string): Promise<string[]> => {
    c.send(xml('iq', { type: 'get', id }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const seen: string[] = [];
    for (;;) {
      const el = await c.element();
      seen.push(el.attrs.id ?? `<${el.name}>`);
      if (el.attrs.id === id) return seen;
    }
  };
  const state = (c: RawClient, s: 'active' | 'inactive') => c.send(xml(s, { xmlns: CSI }));
  /** Delivers `raw` as a router would (kind/type/from from its attributes), recording outcomes. */
  const deliver = (stream: C2sStream, outcomes: string[], kind: 'MESSAGE' | 'PRESENCE' | 'IQ', raw: string) => {
    const attr = (a: string) => new RegExp(`${a}='([^']*)'`).exec(raw)?.[1] ?? '';
    const env: StanzaEnvelope = { from: attr('from'), to: attr('to'), kind, type: attr('type'), id: attr('id'), xml: Buffer.from(raw), hops: 0 };
    stream.deliver(env.xml, (o: Outcome, meta: StanzaMeta) => outcomes.push(`${meta.id} ${o.kind}`), env);
  };
  const presence = (id: string, from: string, extra = '') => `<presence from='${from}' id='${id}'>${extra}</presence>`;
  const message = (id: string, type: string, inner: string) => `<message from='bob@${DOMAIN}/x' id='${id}' type='${type}'>${inner}</message>`;
  const COMPOSING = `<composing xmlns='http://jabber.org/protocol/chatstates'/>`;

  test('§3.1: <csi/> is offered after authentication only; before it, <inactive/> is a not-authorized stream error', async () => {
    const { c } = await bound();
    assert.ok(c.features?.getChild('csi', CSI), 'offered with bind');
    const early = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(early);
    const features = await early.open(DOMAIN);
    assert.equal(features.getChild('csi', CSI), undefined, 'not before authentication');
    early.send(xml('inactive', { xmlns: CSI }));
    assert.equal(await early.streamError(), 'not-authorized');
  });

  test('inactive: presence and chat states are held, presence collapsed per sender; <active/> writes them in order before the next answer', async () => {
    const { c, stream } = await bound();
    state(c, 'inactive');
    assert.deepEqual(await readUntilPing(c, 'p0'), ['p0'], 'no reply to <inactive/> (§3.2)');
    const outcomes: string[] = [];
    deliver(stream, outcomes, 'PRESENCE', presence('bob-1', `bob@${DOMAIN}/x`));
    deliver(stream, outcomes, 'MESSAGE', message('state-1', 'chat', COMPOSING));
    deliver(stream, outcomes, 'PRESENCE', presence('bob-2', `bob@${DOMAIN}/x`, '<show>away</show>'));
    deliver(stream, outcomes, 'PRESENCE', presence('carol-1', `carol@${DOMAIN}/y`));
    // Settled at once: held (nothing written), or dropped for the newer presence of the same sender.
    assert.deepEqual(outcomes, ['bob-1 held', 'state-1 held', 'bob-1 dropped', 'bob-2 held', 'carol-1 held']);
    state(c, 'active');
    // §4.1 in-order processing: <active/> writes what was held before the ping is answered.
    assert.deepEqual(await readUntilPing(c, 'p2'), ['state-1', 'bob-2', 'carol-1', 'p2']);
    await waitFor(() => outcomes.length === 8, { what: 'the held ones written' });
    assert.deepEqual(outcomes.slice(5), ['state-1 written', 'bob-2 written', 'carol-1 written']);
  });

  const urgent: [string, 'MESSAGE' | 'PRESENCE', string][] = [
    ['a body', 'MESSAGE', message('u', 'chat', '<body>hi</body>')],
    ['OMEMO (axolotl)', 'MESSAGE', message('u', 'chat', `<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted>`)],
    ['OMEMO 2', 'MESSAGE', message('u', 'chat', `<encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/></encrypted>`)],
    ['a Jingle call proposal', 'MESSAGE', message('u', 'chat', `<propose xmlns='urn:xmpp:jingle-message:0' id='c1'/>`)],
    [
      'a carbon of a message with a body',
      'MESSAGE',
      message(
        'u',
        'chat',
        `<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'><body>x</body></message></forwarded></received>`,
      ),
    ],
    ['an error', 'MESSAGE', message('u', 'error', `<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`)],
    ['a subscription request', 'PRESENCE', `<presence from='dave@${DOMAIN}' id='u' type='subscribe'/>`],
  ];
  for (const [what, kind, raw] of urgent) {
    test(`inactive: ${what} flushes what is held, then is written at once`, async () => {
      const { c, stream } = await bound();
      state(c, 'inactive');
      await readUntilPing(c, 'p0');
      const outcomes: string[] = [];
      deliver(stream, outcomes, 'PRESENCE', presence('held', `bob@${DOMAIN}/x`));
      deliver(stream, outcomes, kind, raw);
      assert.deepEqual(outcomes.slice(0, 1), ['held held']);
      assert.ok(!outcomes.includes('u held'), 'the urgent one is not held');
      // Written without anything else from the client (an IQ answer would flush too).
      await waitFor(() => outcomes.length === 3, { what: 'both written' });
      assert.deepEqual(outcomes, ['held held', 'held written', 'u written']);
      assert.deepEqual(await readUntilPing(c, 'p1'), ['held', 'u', 'p1']);
    });
  }

  test('inactive: a chat state carbon and a PEP event stay held; past edge.csi.maxHeldStanzas everything is flushed in order', async () => {
    const { c, stream } = await bound();
    state(c, 'inactive');
    await readUntilPing(c, 'p0');
    const outcomes: string[] = [];
    deliver(
      stream,
      outcomes,
      'MESSAGE',
      message(
        's1',
        'chat',
        `<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'>${COMPOSING}</message></forwarded></sent>`,
      ),
    );
    deliver(stream, outcomes, 'MESSAGE', message('s2', 'headline', `<event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'/></event>`));
    deliver(stream, outcomes, 'PRESENCE', presence('s3', `e@${DOMAIN}/1`));
    deliver(stream, outcomes, 'PRESENCE', presence('s4', `f@${DOMAIN}/1`));
    assert.deepEqual(outcomes, ['s1 held', 's2 held', 's3 held', 's4 held']);
    deliver(stream, outcomes, 'PRESENCE', presence('s5', `g@${DOMAIN}/1`)); // the 5th: limit 4
    await waitFor(() => outcomes.length === 9, { what: 'all five written' });
    assert.deepEqual(outcomes.slice(4), ['s1 written', 's2 written', 's3 written', 's4 written', 's5 written']);
    // Holding goes on after the flush.
    deliver(stream, outcomes, 'PRESENCE', presence('s6', `g@${DOMAIN}/1`));
    assert.equal(outcomes.at(-1), 's6 held');
    assert.deepEqual(await readUntilPing(c, 'p2'), ['s1', 's2', 's3', 's4', 's5', 's6', 'p2']);
  });

  test('a stream closing with held stanzas hands them back unwritten (messages are then routed again)', async () => {
    const { c, stream } = await bound();
    state(c, 'inactive');
    await readUntilPing(c, 'p0');
    const outcomes: string[] = [];
    deliver(stream, outcomes, 'MESSAGE', message('kept', 'chat', COMPOSING));
    c.close();
    await waitFor(() => outcomes.length === 2, { what: 'the held stanza handed back' });
    assert.deepEqual(outcomes, ['kept held', 'kept unwritten']);
  });
});

describe('XEP-0352 with XEP-0198 stream management', () => {
  const SM = 'urn:xmpp:sm:3';
  let h: EdgeHarness;
  before(async () => {
    h = await startEdge({ edge: { sm: { enabled: true, requestAckEvery: 1000, resumeTimeoutSec: 60 } } });
    await h.addUser('alice', 'secret');
  });
  after(async () => h.stop());

  test('SM counts only what CSI lets go: a presence superseded while inactive is never numbered nor replayed on resume', async () => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    const jid = await c.login(DOMAIN, 'alice', 'secret', 'sm');
    c.send(xml('enable', { xmlns: SM, resume: 'true' }));
    const enabled = await c.element();
    assert.equal(enabled.name, 'enabled', String(enabled));
    const stream = h.edge.ctx.sessions.get((await h.registry.get(jid))!.sessionId)!;
    let received = 0; // stanzas the client got since <enable/> (its `h`)
    const readUntil = async (id: string): Promise<string[]> => {
      c.send(xml('iq', { type: 'get', id }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      const seen: string[] = [];
      for (;;) {
        const el = await c.element();
        if (['message', 'presence', 'iq'].includes(el.name)) received++;
        seen.push(el.attrs.id ?? `<${el.name}>`);
        if (el.attrs.id === id) return seen;
      }
    };
    c.send(xml('inactive', { xmlns: CSI }));
    await readUntil('p0');
    const outcomes: string[] = [];
    for (const id of ['bob-1', 'bob-2']) {
      const raw = `<presence from='bob@${DOMAIN}/x' id='${id}'/>`;
      const env: StanzaEnvelope = { from: `bob@${DOMAIN}/x`, to: jid, kind: 'PRESENCE', type: '', id, xml: Buffer.from(raw), hops: 0 };
      stream.deliver(env.xml, (o: Outcome, meta: StanzaMeta) => outcomes.push(`${meta.id} ${o.kind}`), env);
    }
    c.send(xml('active', { xmlns: CSI }));
    assert.deepEqual(await readUntil('p1'), ['bob-2', 'p1']);
    assert.ok(outcomes.includes('bob-1 dropped'));
    // The client acknowledges everything it got, drops the connection and resumes: nothing is replayed.
    c.send(xml('a', { xmlns: SM, h: String(received) }));
    c.close();
    const again = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    try {
      await again.open(DOMAIN);
      assert.equal((await again.scram('alice', 'secret', 'SCRAM-SHA-256')).name, 'success');
      await again.open(DOMAIN);
      again.send(xml('resume', { xmlns: SM, previd: enabled.attrs.id!, h: String(received) }));
      const resumed = await again.element();
      assert.equal(resumed.name, 'resumed', String(resumed));
      again.send(xml('iq', { type: 'get', id: 'after' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      assert.equal((await again.element()).attrs.id, 'after', 'no stanza replayed before the answer');
    } finally {
      again.close();
    }
  });
});
