import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { encodeFrame, subjects } from '#libs/bus';
import { ResumableStore } from '#libs/sessions';
import { newArchiveId } from '#libs/storage';
import { waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';
import { NS_BIND2, NS_SASL2, scram2, userAgent } from '../../testing/sasl2-client.js';

const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const SM = 'urn:xmpp:sm:3';
const CARBONS = 'urn:xmpp:carbons:2';
const CSI = 'urn:xmpp:csi:0';

/**
 * XEP-0388 SASL2 and XEP-0386 Bind2 (with XEP-0198 and XEP-0280 inline) against a real edge
 * (in-process bus, embedded storage; the harness's router echoes a client's messages back to it).
 */
describe('SASL2 and Bind2 on the edge', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const connect = async (): Promise<{ c: RawClient; features: Element }> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    return { c, features: await c.open(DOMAIN) };
  };
  const bind = (tag: string, ...children: Element[]) => xml('bind', { xmlns: NS_BIND2 }, xml('tag', {}, tag), ...children);
  const chat = (id: string): Element => xml('message', { to: `alice@${DOMAIN}`, type: 'chat', id }, xml('body', {}, id));

  before(async () => {
    h = await startEdge({ archive: { enabled: true }, edge: { sasl2: { enabled: true }, sm: { enabled: true, requestAckEvery: 100, resumeTimeoutSec: 60 } } });
    await h.addUser('alice', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test('<authentication/> offers the password mechanisms, Bind2 with its inline features and SM resumption; XEP-0440 beside it', async () => {
    const { features } = await connect();
    const auth = features.getChild('authentication', NS_SASL2);
    assert.ok(auth, String(features));
    const mechs = auth.getChildren('mechanism').map((m) => m.text());
    assert.deepEqual(mechs, ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    const inline = auth.getChild('inline', NS_SASL2)!;
    assert.ok(inline.getChild('sm', SM));
    const vars = inline
      .getChild('bind', NS_BIND2)!
      .getChild('inline', NS_BIND2)!
      .getChildren('feature')
      .map((f) => f.attrs.var);
    assert.deepEqual(vars.sort(), [CARBONS, CSI, SM].sort());
    const cb = features
      .getChild('sasl-channel-binding', 'urn:xmpp:sasl-cb:0')!
      .getChildren('channel-binding')
      .map((b) => b.attrs.type);
    assert.ok(cb.includes('tls-exporter') || cb.includes('tls-server-end-point'), String(features));
  });

  test('on by default, FAST inline; with enabled: false no <authentication/>, and <authenticate/> is not understood', async () => {
    const byDefault = await startEdge();
    try {
      const c = await RawClient.connect({ mode: 'tls', port: byDefault.edge.ports.directTls });
      clients.push(c);
      const features = await c.open(DOMAIN);
      const auth = features.getChild('authentication', NS_SASL2);
      assert.ok(auth?.getChild('inline', NS_SASL2)?.getChild('bind', NS_BIND2), String(features));
      assert.ok(auth!.getChild('inline', NS_SASL2)!.getChild('fast', 'urn:xmpp:fast:0'), String(features));
      assert.ok(features.getChild('mechanisms', SASL), 'RFC 6120 SASL stays beside it');
    } finally {
      await byDefault.stop();
    }
    const plain = await startEdge({ edge: { sasl2: { enabled: false } } });
    try {
      const c = await RawClient.connect({ mode: 'tls', port: plain.edge.ports.directTls });
      clients.push(c);
      const features = await c.open(DOMAIN);
      assert.equal(features.getChild('authentication', NS_SASL2), undefined, String(features));
      assert.ok(features.getChild('mechanisms', SASL));
      c.send(xml('authenticate', { xmlns: NS_SASL2, mechanism: 'PLAIN' }, xml('initial-response', {}, 'AGFsaWNlAHNlY3JldA==')));
      assert.equal(await c.streamError(), 'unsupported-stanza-type');
    } finally {
      await plain.stop();
    }
  });

  test('success without Bind2: bare authorization-identifier, then the new features without a restart; legacy bind works', async () => {
    const { c } = await connect();
    const success = await scram2(c, 'alice', 'secret', [userAgent(randomUUID())], 'tls-exporter');
    assert.equal(success.name, 'success', String(success));
    assert.equal(success.getChildText('authorization-identifier'), `alice@${DOMAIN}`);
    const features = await c.element();
    assert.equal(features.name, 'stream:features');
    assert.ok(features.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind'), String(features));
    assert.equal(features.getChild('authentication', NS_SASL2), undefined);
    assert.equal(await c.bind('legacy'), `alice@${DOMAIN}/legacy`);
  });

  test('Bind2: <tag>/<id> stable per user-agent id (the old session is replaced), inline SM enable and carbons, MAM metadata', async () => {
    const ua = randomUUID();
    const archived = { owner: `alice@${DOMAIN}`, id: newArchiveId(), with: `bob@${DOMAIN}`, timestamp: new Date(1_700_000_000_000), direction: 'in' as const };
    await h.storage.archive.append({ ...archived, xml: '<message><body>old</body></message>' });
    const { c } = await connect();
    const success = await scram2(c, 'alice', 'secret', [
      userAgent(ua),
      bind('Phone', xml('enable', { xmlns: CARBONS }), xml('enable', { xmlns: SM, resume: 'true' })),
    ]);
    assert.equal(success.name, 'success', String(success));
    const full = success.getChildText('authorization-identifier')!;
    assert.match(full, new RegExp(`^alice@${DOMAIN}/Phone/[A-Za-z0-9_-]{12}$`));
    assert.ok(!full.includes(ua), 'the user-agent id is not shown');
    const enabled = success.getChild('bound', NS_BIND2)!.getChild('enabled', SM)!;
    const metadata = success.getChild('bound', NS_BIND2)!.getChild('metadata', 'urn:xmpp:mam:2')!;
    assert.equal(metadata.getChild('end')?.attrs.id, archived.id, String(success));
    assert.equal(metadata.getChild('end')?.attrs.timestamp, '2023-11-14T22:13:20.000Z');
    assert.equal(enabled.attrs.resume, 'true');
    assert.equal((await c.element()).name, 'stream:features');
    assert.equal((await h.registry.get(full))?.carbons, true);
    // Stanzas flow at once: the echo comes back numbered by SM.
    c.send(chat('b1'));
    assert.equal((await c.element()).attrs.id, 'b1');

    const again = await connect();
    const second = await scram2(again.c, 'alice', 'secret', [userAgent(ua), bind('Phone')]);
    assert.equal(second.getChildText('authorization-identifier'), full, 'the same client gets the same resource');
    assert.equal(await c.streamError(), 'conflict');
    const other = await connect();
    const third = await scram2(other.c, 'alice', 'secret', [userAgent(randomUUID()), bind('Phone')]);
    assert.notEqual(third.getChildText('authorization-identifier'), full, 'another client gets another resource');
  });

  test('over WebSocket (RFC 7395) too: SASL2 with Bind2, then features and stanzas on the same framed stream', async () => {
    const c = await RawClient.connect({ mode: 'wss', port: h.edge.ports.wss });
    clients.push(c);
    const features = await c.open(DOMAIN);
    assert.ok(features.getChild('authentication', NS_SASL2), String(features));
    const success = await scram2(c, 'alice', 'secret', [userAgent(randomUUID()), bind('Web')], 'tls-server-end-point');
    assert.match(success.getChildText('authorization-identifier')!, new RegExp(`^alice@${DOMAIN}/Web/`));
    assert.equal((await c.element()).name, 'stream:features');
    c.send(chat('w1'));
    assert.equal((await c.element()).attrs.id, 'w1');
  });

  test('Bind2 <inactive/> (XEP-0352): the session starts inactive: presence is collapsed until a message flushes it', async () => {
    const { c } = await connect();
    const success = await scram2(c, 'alice', 'secret', [userAgent(randomUUID()), bind('Idle', xml('inactive', { xmlns: CSI }))]);
    const full = success.getChildText('authorization-identifier')!;
    await c.element(); // features
    const record = (await h.registry.get(full))!;
    const deliver = (kind: 'PRESENCE' | 'MESSAGE', id: string, xmlText: string) =>
      h.bus.publish(
        subjects.edgeDeliver(h.edge.edgeId),
        encodeFrame({
          stanza: {
            from: `bob@${DOMAIN}/x`,
            to: full,
            kind,
            type: kind === 'MESSAGE' ? 'chat' : '',
            id,
            xml: Buffer.from(xmlText),
            target: { edgeId: h.edge.edgeId, sessionId: record.sessionId },
            hops: 0,
          },
        }),
      );
    deliver('PRESENCE', 'p1', `<presence from="bob@${DOMAIN}/x" to="${full}" id="p1"><show>away</show></presence>`);
    deliver('PRESENCE', 'p2', `<presence from="bob@${DOMAIN}/x" to="${full}" id="p2"><show>dnd</show></presence>`);
    deliver('MESSAGE', 'm3', `<message from="bob@${DOMAIN}/x" to="${full}" type="chat" id="m3"><body>hi</body></message>`);
    assert.deepEqual([(await c.element()).attrs.id, (await c.element()).attrs.id], ['p2', 'm3'], 'p1 was held and replaced by p2');
  });

  test('inline resume (XEP-0198 in SASL2): the session and its unacknowledged stanzas come back; Bind2 is skipped', async () => {
    const ua = randomUUID();
    const { c } = await connect();
    const success = await scram2(c, 'alice', 'secret', [userAgent(ua), bind('Tablet', xml('enable', { xmlns: SM, resume: 'true' }))]);
    const full = success.getChildText('authorization-identifier')!;
    const id = success.getChild('bound', NS_BIND2)!.getChild('enabled', SM)!.attrs.id!;
    await c.element(); // features
    c.send(chat('r1'));
    c.send(chat('r2'));
    assert.equal((await c.element()).attrs.id, 'r1');
    assert.equal((await c.element()).attrs.id, 'r2');
    c.close();
    const store = new ResumableStore(h.bus);
    await waitFor(async () => (await store.get(id))?.record.state === 'detached', { what: 'the session to detach' });

    const back = await connect();
    const resumed = await scram2(back.c, 'alice', 'secret', [userAgent(ua), xml('resume', { xmlns: SM, previd: id, h: '0' }), bind('Tablet')]);
    assert.equal(resumed.name, 'success', String(resumed));
    assert.equal(resumed.getChildText('authorization-identifier'), full);
    assert.equal(resumed.getChild('resumed', SM)?.attrs.h, '2', String(resumed));
    assert.equal(resumed.getChild('bound', NS_BIND2), undefined, 'no new binding after a resume');
    assert.equal((await back.c.element()).name, 'stream:features');
    const replayed = [(await back.c.element()).attrs.id, (await back.c.element()).attrs.id];
    assert.deepEqual(replayed, ['r1', 'r2']);
  });

  test('a failed inline resume is reported in <success/> and Bind2 makes a new session', async () => {
    const { c } = await connect();
    const success = await scram2(c, 'alice', 'secret', [
      userAgent(randomUUID()),
      xml('resume', { xmlns: SM, previd: '00000000-0000-4000-8000-000000000000', h: '0' }),
      bind('Laptop'),
    ]);
    assert.equal(success.name, 'success', String(success));
    assert.ok(success.getChild('failed', SM)?.getChild('item-not-found'), String(success));
    assert.match(success.getChildText('authorization-identifier')!, /\/Laptop\//);
    assert.ok(success.getChild('bound', NS_BIND2));
  });

  test('bad input: wrong password, unknown mechanism, a response with no exchange, Bind2 outside SASL2', async () => {
    const wrong = await connect();
    const failure = await scram2(wrong.c, 'alice', 'nope', [bind('X')]);
    assert.equal(failure.name, 'failure');
    assert.equal(failure.attrs.xmlns, NS_SASL2);
    assert.ok(failure.getChild('not-authorized', SASL), String(failure));

    const unknown = await connect();
    unknown.c.send(xml('authenticate', { xmlns: NS_SASL2, mechanism: 'X-NOPE' }, xml('initial-response', {}, 'AA==')));
    assert.ok((await unknown.c.element()).getChild('invalid-mechanism', SASL));
    unknown.c.send(xml('response', { xmlns: NS_SASL2 }, 'AA=='));
    assert.ok((await unknown.c.element()).getChild('malformed-request', SASL));
    unknown.c.send(xml('abort', { xmlns: NS_SASL2 }));
    assert.ok((await unknown.c.element()).getChild('aborted', SASL));

    const chatty = await connect();
    chatty.c.send(xml('authenticate', { xmlns: NS_SASL2, mechanism: 'SCRAM-SHA-256' }));
    assert.equal((await chatty.c.element()).name, 'challenge', 'no initial response: an empty challenge asks for it');
    chatty.c.send(xml('auth', { xmlns: SASL, mechanism: 'PLAIN' }, 'AGFsaWNlAHNlY3JldA=='));
    assert.equal(await chatty.c.streamError(), 'policy-violation', 'XEP-0388 §during: nothing but <response/> or <abort/>');

    const early = await connect();
    early.c.send(bind('X'));
    assert.equal(await early.c.streamError(), 'not-authorized');

    const twice = await connect();
    assert.equal((await scram2(twice.c, 'alice', 'secret', [bind('Twice')])).name, 'success');
    await twice.c.element();
    twice.c.send(xml('authenticate', { xmlns: NS_SASL2, mechanism: 'PLAIN' }, xml('initial-response', {}, Buffer.from('\0alice\0secret').toString('base64'))));
    assert.equal(await twice.c.streamError(), 'policy-violation');
  });

  test('a refused Bind2 (resource constraint) fails the SASL2 attempt with the bind error; the stream stays unauthenticated', async () => {
    const small = await startEdge({ edge: { sasl2: { enabled: true }, maxSessionsPerAccount: 1 } });
    try {
      await small.addUser('carol', 'secret');
      const one = await RawClient.connect({ mode: 'tls', port: small.edge.ports.directTls });
      const two = await RawClient.connect({ mode: 'tls', port: small.edge.ports.directTls });
      clients.push(one, two);
      await one.open(DOMAIN);
      await two.open(DOMAIN);
      assert.equal((await scram2(one, 'carol', 'secret', [bind('A')])).name, 'success');
      const refused = await scram2(two, 'carol', 'secret', [bind('B')]);
      assert.equal(refused.name, 'failure', String(refused));
      assert.ok(refused.getChild('resource-constraint', 'urn:ietf:params:xml:ns:xmpp-stanzas'), String(refused));
      two.send(chat('x'));
      assert.equal(await two.streamError(), 'not-authorized');
    } finally {
      await small.stop();
    }
  });
});
