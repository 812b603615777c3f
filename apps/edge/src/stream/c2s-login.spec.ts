import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { xml } from '#libs/xml';
import { waitFor } from '#libs/testing';
import { DOMAIN, startEdge, type EdgeHarness } from '../testing/edge-harness.js';
import { RawClient } from '../testing/raw-client.js';

describe('c2s login and stanza path', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const client = async (mode: 'tcp' | 'tls' | 'ws' | 'wss', port: number): Promise<RawClient> => {
    const c = await RawClient.connect({ mode, port, path: h.config.edge.wsPath });
    clients.push(c);
    return c;
  };
  before(async () => {
    h = await startEdge({ edge: { wsEnabled: true } });
    await h.addUser('alice', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test('before TLS only <starttls><required/></starttls> is offered', async () => {
    const c = await client('tcp', h.edge.ports.c2s);
    const features = await c.open(DOMAIN);
    assert.equal(features.toString(), '<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls></stream:features>');
    assert.equal(c.streamAttrs.from, DOMAIN);
    assert.equal(c.streamAttrs.version, '1.0');
    assert.ok(c.streamAttrs.id && c.streamAttrs.id.length >= 16);
  });

  test('PLAIN before TLS is refused with <encryption-required/>', async () => {
    const c = await client('tcp', h.edge.ports.c2s);
    await c.open(DOMAIN);
    const outcome = await c.plain('alice', 'secret');
    assert.equal(outcome.name, 'failure');
    assert.equal(outcome.elements()[0]!.name, 'encryption-required');
  });

  test('a stanza before TLS is a <policy-violation/>', async () => {
    const c = await client('tcp', h.edge.ports.c2s);
    await c.open(DOMAIN);
    c.send(xml('message', { to: 'bob@example.test' }, xml('body', {}, 'hi')));
    assert.equal(await c.streamError(), 'policy-violation');
  });

  test('STARTTLS, SCRAM-SHA-256, bind, then a message reaches the router and comes back', async () => {
    const c = await client('tcp', h.edge.ports.c2s);
    await c.open(DOMAIN);
    await c.starttls();
    const features = await c.open(DOMAIN);
    const mechs = features
      .getChild('mechanisms')!
      .getChildren('mechanism')
      .map((m) => m.text());
    assert.ok(mechs.includes('SCRAM-SHA-256-PLUS'));
    assert.ok(mechs.includes('PLAIN'));
    assert.ok(features.getChild('sasl-channel-binding', 'urn:xmpp:sasl-cb:0'));
    assert.ok(features.getChild('limits', 'urn:xmpp:stream-limits:0'));
    assert.equal(features.getChild('starttls'), undefined);
    const outcome = await c.scram('alice', 'secret', 'SCRAM-SHA-256');
    assert.equal(outcome.name, 'success');
    const bindFeatures = await c.open(DOMAIN);
    assert.ok(bindFeatures.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind'));
    assert.ok(bindFeatures.getChild('session', 'urn:ietf:params:xml:ns:xmpp-session')?.getChild('optional'));
    assert.ok(bindFeatures.getChild('ver', 'urn:xmpp:features:rosterver'), 'RFC 6121 §2.6.1 roster versioning');
    assert.ok(bindFeatures.getChild('sub', 'urn:xmpp:features:pre-approval'), 'RFC 6121 §3.4 pre-approval');
    assert.equal(features.getChild('ver'), undefined, 'not before authentication');
    const jid = await c.bind('laptop');
    assert.equal(jid, 'alice@example.test/laptop');
    c.send(xml('message', { to: 'alice@example.test', id: 'm1' }, xml('body', {}, 'hello')));
    const echo = await c.element();
    assert.equal(echo.attrs['data-echo'], '1');
    assert.equal(echo.attrs.from, 'alice@example.test/laptop');
    assert.equal(echo.getChildText('body'), 'hello');
    const routed = h.routed.find((f) => f.stanza?.id === 'm1')!.stanza!;
    assert.equal(routed.from, 'alice@example.test/laptop');
    assert.equal(routed.kind, 'MESSAGE');
    assert.equal(routed.origin?.sessionId !== undefined, true);
    assert.ok(!h.presence.some((f) => f.session), 'binding tells presence nothing (the record is the binding)');
    c.send('</stream:stream>');
    await c.waitClosed();
    await waitFor(() => h.presence.some((f) => f.session?.kind === 'ENDED' && f.session.jid === jid), { what: 'ENDED' });
    assert.equal(await h.registry.get(jid), undefined);
  });

  for (const cb of ['tls-exporter', 'tls-server-end-point'] as const) {
    test(`SCRAM-SHA-256-PLUS with ${cb} over direct TLS (XEP-0368)`, async () => {
      const c = await client('tls', h.edge.ports.directTls);
      assert.equal(c.tls!.alpnProtocol, 'xmpp-client');
      const features = await c.open(DOMAIN);
      const types = features
        .getChild('sasl-channel-binding')!
        .getChildren('channel-binding')
        .map((e) => e.attrs.type);
      assert.deepEqual(types.sort(), ['tls-exporter', 'tls-server-end-point']);
      const outcome = await c.scram('alice', 'secret', 'SCRAM-SHA-256-PLUS', cb);
      assert.equal(outcome.name, 'success', String(outcome));
      await c.open(DOMAIN);
      assert.match(await c.bind(), /^alice@example\.test\/.+/);
    });
  }

  test('wss login (RFC 7395) and a message round trip', async () => {
    const c = await client('wss', h.edge.ports.wss);
    const jid = await c.login(DOMAIN, 'alice', 'secret', 'web');
    assert.equal(jid, 'alice@example.test/web');
    c.send(xml('message', { xmlns: 'jabber:client', to: 'alice@example.test' }, xml('body', {}, 'ws')));
    const echo = await c.element();
    assert.equal(echo.attrs.xmlns, 'jabber:client');
    assert.equal(echo.getChildText('body'), 'ws');
    c.send(xml('close', { xmlns: 'urn:ietf:params:xml:ns:xmpp-framing' }));
    const ev = await c.next();
    assert.equal(ev.kind, 'end');
  });

  test('plain ws (behind a TLS proxy) allows SASL', async () => {
    const c = await client('ws', h.edge.ports.ws!);
    assert.equal(await c.login(DOMAIN, 'alice', 'secret', 'proxy'), 'alice@example.test/proxy');
  });
  test('stanzas sent right before the client closes and hangs up are still routed (RFC 6120 §4.4)', async () => {
    const c = await client('tls', h.edge.ports.directTls);
    await c.login(DOMAIN, 'alice', 'secret', 'hangup');
    const ids = Array.from({ length: 5 }, (_, i) => `bye-${i}`);
    c.send(ids.map((id) => xml('message', { to: 'alice@example.test', id }, xml('body', {}, id)).toString()).join('') + '</stream:stream>');
    c.close();
    await waitFor(() => ids.every((id) => h.routed.some((f) => f.stanza?.id === id)), { what: 'every stanza sent before the close at the router' });
  });
});
