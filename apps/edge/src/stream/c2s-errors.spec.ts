import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { xml } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../testing/edge-harness.js';
import { RawClient } from '../testing/raw-client.js';

describe('c2s bad input', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const connect = async (mode: 'tcp' | 'tls' = 'tls'): Promise<RawClient> => {
    const c = await RawClient.connect({ mode, port: mode === 'tls' ? h.edge.ports.directTls : h.edge.ports.c2s });
    clients.push(c);
    return c;
  };
  const bound = async (resource: string): Promise<RawClient> => {
    const c = await connect();
    await c.login(DOMAIN, 'alice', 'secret', resource);
    return c;
  };
  before(async () => {
    h = await startEdge({ edge: { limits: { maxStanzaBytesPreAuth: 2048, maxStanzaBytes: 8192 }, authFailureDelayMs: 5, authFailureDelayMaxMs: 40 } });
    await h.addUser('alice', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test('to= a domain we do not serve: <host-unknown/>', async () => {
    const c = await connect('tcp');
    c.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='elsewhere.test' version='1.0'>`);
    assert.equal((await c.next()).kind, 'start');
    assert.equal(await c.streamError(), 'host-unknown');
    await c.waitClosed();
  });

  test('version 2.0 or none: <unsupported-version/>', async () => {
    for (const version of ['2.0', undefined]) {
      const c = await connect('tcp');
      c.send(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}'${version ? ` version='${version}'` : ''}>`);
      assert.equal((await c.next()).kind, 'start');
      assert.equal(await c.streamError(), 'unsupported-version');
    }
  });

  test('a wrong stream namespace: <invalid-namespace/>', async () => {
    const c = await connect('tcp');
    c.send(`<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}' version='1.0'>`);
    assert.equal((await c.next()).kind, 'start');
    assert.equal(await c.streamError(), 'invalid-namespace');
  });

  test('broken XML: <not-well-formed/>', async () => {
    const c = await connect();
    await c.open(DOMAIN);
    c.send('<message><body>x</message>');
    assert.equal(await c.streamError(), 'not-well-formed');
    await c.waitClosed();
  });

  for (const [what, data] of [
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]>'],
    ['a comment', '<!-- hello -->'],
    ['a processing instruction', '<?evil x?>'],
    ['an entity reference', '<message><body>&a;</body></message>'],
  ] as const) {
    test(`${what}: <restricted-xml/>`, async () => {
      const c = await connect();
      await c.open(DOMAIN);
      c.send(data);
      assert.equal(await c.streamError(), 'restricted-xml');
    });
  }

  test('a DOCTYPE before the stream header: header, then <restricted-xml/>', async () => {
    const c = await connect();
    c.send(`<?xml version='1.0'?><!DOCTYPE stream:stream>`);
    assert.equal((await c.next()).kind, 'start');
    assert.equal(await c.streamError(), 'restricted-xml');
  });

  test('an oversized stanza before authentication: <policy-violation/>', async () => {
    const c = await connect();
    await c.open(DOMAIN);
    c.send(xml('iq', { type: 'get', id: 'x' }, xml('query', { xmlns: 'jabber:iq:register' }, 'x'.repeat(3000))));
    assert.equal(await c.streamError(), 'policy-violation');
  });

  test('an oversized stanza after authentication: <policy-violation/>; a large but allowed one passes', async () => {
    const c = await bound('big');
    c.send(xml('message', { to: 'alice@example.test' }, xml('body', {}, 'y'.repeat(4000))));
    assert.equal((await c.element()).getChildText('body')!.length, 4000);
    c.send(xml('message', { to: 'alice@example.test' }, xml('body', {}, 'y'.repeat(9000))));
    assert.equal(await c.streamError(), 'policy-violation');
  });

  test('wrong password: <not-authorized/> after a back-off that doubles; the third failure closes', async () => {
    const c = await connect();
    await c.open(DOMAIN);
    h.events.length = 0;
    for (let i = 1; i <= 2; i++) {
      const outcome = await c.scram('alice', 'wrong', 'SCRAM-SHA-256');
      assert.equal(outcome.toString(), '<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized/></failure>');
      h.events.push(`client got failure ${i}`);
    }
    const answers = (): string[] => h.events.filter((e) => !e.startsWith('gate '));
    assert.deepEqual(answers(), ['delay 5', 'delay 5 done', 'client got failure 1', 'delay 10', 'delay 10 done', 'client got failure 2']);
    const third = await c.scram('alice', 'wrong', 'SCRAM-SHA-256');
    assert.equal(third.name, 'failure');
    assert.equal(await c.streamError(), 'policy-violation');
    // alice's success resets her account's back-off, not her address's (limits/auth-throttle.ts)
    const ok = await connect();
    await ok.login(DOMAIN, 'alice', 'secret', 'after-failures');
    h.events.length = 0;
    const again = await connect();
    await again.open(DOMAIN);
    await again.scram('alice', 'wrong', 'SCRAM-SHA-256');
    assert.deepEqual(answers().slice(0, 1), ['delay 40']);
  });

  test("SCRAM's 'y' flag is a downgrade while -PLUS is offered, unless the client's -PLUS attempt named a type we lack", async () => {
    const strict = await connect();
    await strict.open(DOMAIN);
    assert.equal((await strict.scram('alice', 'secret', 'SCRAM-SHA-256', undefined, 'y')).name, 'failure');
    const c = await connect();
    await c.open(DOMAIN);
    const plus = await c.scram('alice', 'secret', 'SCRAM-SHA-256-PLUS', undefined, 'p=tls-unique');
    assert.equal(plus.getChildText('text'), 'unsupported-channel-binding-type');
    assert.equal((await c.scram('alice', 'secret', 'SCRAM-SHA-256', undefined, 'y')).name, 'success');
  });

  test('an unknown mechanism: <invalid-mechanism/>', async () => {
    const c = await connect();
    await c.open(DOMAIN);
    c.send(xml('auth', { xmlns: 'urn:ietf:params:xml:ns:xmpp-sasl', mechanism: 'X-UNKNOWN' }, '='));
    assert.equal((await c.element()).elements()[0]!.name, 'invalid-mechanism');
  });

  test('a stanza after authentication but before bind: <not-authorized/>', async () => {
    const c = await connect();
    await c.open(DOMAIN);
    assert.equal((await c.scram('alice', 'secret', 'SCRAM-SHA-256')).name, 'success');
    await c.open(DOMAIN);
    c.send(xml('message', { to: 'alice@example.test' }, xml('body', {}, 'early')));
    assert.equal(await c.streamError(), 'not-authorized');
  });

  test('a forged from: <invalid-from/>', async () => {
    const c = await bound('forger');
    c.send(xml('message', { from: 'mallory@example.test/x', to: 'alice@example.test' }, xml('body', {}, 'x')));
    assert.equal(await c.streamError(), 'invalid-from');
  });

  test('the bare JID as from is accepted and stamped with the full JID', async () => {
    const c = await bound('bare-from');
    c.send(xml('message', { from: 'alice@example.test', to: 'alice@example.test', id: 'bf' }, xml('body', {}, 'x')));
    assert.equal((await c.element()).attrs.from, 'alice@example.test/bare-from');
  });

  test('a malformed to: a jid-malformed error, the stream stays', async () => {
    const c = await bound('malformed');
    c.send(xml('message', { to: 'bad@@example.test', id: 'mx' }, xml('body', {}, 'x')));
    const err = await c.element();
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.attrs.id, 'mx');
    assert.ok(err.getChild('error')!.getChild('jid-malformed', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    c.send(xml('iq', { type: 'get', to: 'alice@example.test', id: 'still' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal((await c.element()).attrs.id, 'still');
  });

  test('binding a full JID that is bound already replaces the old session with <conflict/>', async () => {
    const old = await bound('phone');
    const fresh = await bound('phone');
    assert.equal(await old.streamError(), 'conflict');
    await old.waitClosed();
    fresh.send(xml('message', { to: 'alice@example.test' }, xml('body', {}, 'still here')));
    assert.equal((await fresh.element()).getChildText('body'), 'still here');
    assert.equal((await h.registry.get('alice@example.test/phone'))?.sessionId !== undefined, true);
  });

  test('an unknown top-level element: <unsupported-stanza-type/>', async () => {
    const c = await bound('odd');
    c.send(xml('foo', { xmlns: 'urn:example:foo' }));
    assert.equal(await c.streamError(), 'unsupported-stanza-type');
  });

  test('an IQ without an id: <bad-request/> (RFC 6120 §8.1.3); the stream stays', async () => {
    const c = await bound('no-id');
    c.send(xml('iq', { type: 'get', to: 'alice@example.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const reply = await c.element();
    assert.equal(reply.name, 'iq');
    assert.equal(reply.attrs.type, 'error');
    assert.equal(reply.attrs.id, undefined);
    assert.ok(reply.getChild('error')!.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.equal(
      h.routed.some((f) => f.stanza?.kind === 'IQ' && f.stanza.id === ''),
      false,
      'not routed',
    );
    c.send(xml('iq', { type: 'fetch', id: 'odd-type', to: 'alice@example.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const typed = await c.element();
    assert.equal(typed.attrs.id, 'odd-type');
    assert.ok(typed.getChild('error')!.getChild('bad-request'));
    c.send(xml('iq', { type: 'get', id: 'fine', to: 'alice@example.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal((await c.element()).attrs.id, 'fine');
  });

  test('a second stream header in the middle of a stream: <invalid-xml/>, not a wedged stream', async () => {
    const c = await bound('twice');
    c.send(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}' version='1.0'>`);
    assert.equal(await c.streamError(), 'invalid-xml');
    await c.waitClosed();
    const early = await connect();
    await early.open(DOMAIN); // before authentication too: no restart is due before SASL success
    early.send(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${DOMAIN}' version='1.0'>`);
    assert.equal(await early.streamError(), 'invalid-xml');
  });

  test('a second <open/> on a WebSocket stream (RFC 7395): <invalid-xml/>', async () => {
    const c = await RawClient.connect({ mode: 'wss', port: h.edge.ports.wss });
    clients.push(c);
    await c.login(DOMAIN, 'alice', 'secret', 'ws-twice');
    c.send(xml('open', { xmlns: 'urn:ietf:params:xml:ns:xmpp-framing', to: DOMAIN, version: '1.0' }));
    assert.equal(await c.streamError(), 'invalid-xml');
  });

  test('registration is off by default: not advertised, service-unavailable', async () => {
    const c = await connect();
    const features = await c.open(DOMAIN);
    assert.equal(features.getChild('register'), undefined);
    c.send(xml('iq', { type: 'get', id: 'r1' }, xml('query', { xmlns: 'jabber:iq:register' })));
    const reply = await c.element();
    assert.ok(reply.getChild('error')!.getChild('service-unavailable'));
  });
});
