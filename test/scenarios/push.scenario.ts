import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmppScript } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const PUSH = 'urn:xmpp:push:0';
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const XDATA = 'jabber:x:data';
const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';

interface Sm {
  id: string;
  enabled: boolean;
}
const smOf = (c: TestClient): Sm => (c.xmpp as unknown as { streamManagement: Sm }).streamManagement;

const fieldsOf = (x: XmppElement | undefined): Record<string, string | undefined> =>
  Object.fromEntries((x?.getChildren('field') ?? []).map((f) => [f.attrs.var as string, f.getChildText('value') ?? undefined]));
const secretForm = (secret: string) =>
  xml(
    'x',
    { xmlns: XDATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, PUBLISH_OPTIONS)),
    xml('field', { var: 'secret' }, xml('value', {}, secret)),
  );

/** A publish the app server took: node, summary form, publish options, and who sent it. */
interface Publish {
  from: string;
  node: string;
  summary: Record<string, string | undefined>;
  options: Record<string, string | undefined>;
}

/**
 * The app server: an xmpp.js client that answers every pubsub publish IQ with a result (XEP-0060
 * §7.1.2) and records it, as a XEP-0357 App Server's push service does (§4).
 */
interface AppServer {
  publishes: Publish[];
  /** Resolves once `n` publishes to `node` arrived (rejects past `timeoutMs`). */
  waitFor(node: string, n: number, timeoutMs?: number): Promise<Publish[]>;
}

function appServer(c: TestClient): AppServer {
  const publishes: Publish[] = [];
  const waiters: (() => void)[] = [];
  (c.xmpp as unknown as { iqCallee: { set(ns: string, name: string, h: (ctx: { stanza: XmppElement }) => unknown): void } }).iqCallee.set(
    PUBSUB,
    'pubsub',
    ({ stanza }) => {
      const pubsub = stanza.getChild('pubsub', PUBSUB)!;
      const publish = pubsub.getChild('publish')!;
      publishes.push({
        from: stanza.attrs.from as string,
        node: publish.attrs.node as string,
        summary: fieldsOf(publish.getChild('item')?.getChild('notification', PUSH)?.getChild('x', XDATA)),
        options: fieldsOf(pubsub.getChild('publish-options')?.getChild('x', XDATA)),
      });
      for (const w of waiters.splice(0)) w();
      return true; // an empty result
    },
  );
  const of = (node: string) => publishes.filter((p) => p.node === node);
  return {
    publishes,
    async waitFor(node, n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (of(node).length < n) {
        if (Date.now() > deadline) throw new Error(`app server waited for ${n} publishes to ${node}; got ${JSON.stringify(publishes)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
          waiters.push(() => (clearTimeout(t), resolve()));
        });
      }
      return of(node);
    },
  };
}

/** The connection is lost and the client never comes back on its own (no reconnect, no </stream>). */
function killSocket(c: TestClient): void {
  (c.xmpp as unknown as { reconnect: { stop(): void } }).reconnect.stop();
  const socket = (c.xmpp as unknown as { socket: { socket?: { destroy(): void }; destroy?(): void } }).socket;
  (socket.socket ?? (socket as { destroy(): void })).destroy();
}

/**
 * XEP-0357 with real xmpp.js clients, on a deployment with `features.push.enabled` and stream
 * management offered: the owner sees urn:xmpp:push:0 on the account (§3.1), enables push to an app
 * server (another xmpp.js client answering pubsub publishes) with publish options (§5); its phone's
 * socket is killed with a message unacknowledged (XEP-0198: detached, waiting for a resume), which
 * makes the server publish the summary form (no body) with the publish options (§7), and so does a
 * message that arrives while it is detached (held for the resume); a second account that logged
 * out cleanly is offline and gets a publish for a message stored offline, which it then receives at
 * its next login. `<disable/>` (§6) stops the publishes. Last, slixmpp plays the App Server for a
 * third account that logged out.
 */
export async function pushScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const users = ['alice', 'bob', 'carol', 'dave', 'pusher', 'slixapp'].map((u) => `${u}-push-${tag}`);
  for (const u of users) await addUser(`${u}@${d.domain}`, `${u}-password`, d.adminPort);
  const [alice, bob, carol, dave, pusher, slixapp] = users.map((u) => `${u}@${d.domain}`) as [string, string, string, string, string, string];
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  const on = async (e: typeof first, user: string, resource: string) => {
    const local = user.split('@')[0]!;
    const c = await connect(`xmpp://${e.host}:${e.c2sPort}`, local, `${local}-password`, resource, d.domain);
    clients.push(c);
    return c;
  };
  try {
    const app = await on(first, pusher, 'app');
    const server = appServer(app);
    const sender = await on(first, bob, 'pc');
    const phone = await on(last, alice, 'phone');
    // §3.1: the account's disco#info (to the bare JID) names the feature for its owner
    const info = await phone.iq(xml('iq', { type: 'get', to: alice }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      info
        .getChild('query')!
        .getChildren('feature')
        .some((f) => f.attrs.var === PUSH),
      'urn:xmpp:push:0 on the account',
    );
    await phone.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: PUSH, jid: app.jid, node: `phone-${tag}` }, secretForm('s3cr3t'))));
    await phone.send(xml('presence'));
    // bad input: no node
    await assert.rejects(
      phone.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: PUSH, jid: app.jid }))),
      (err: { condition?: string }) => err.condition === 'bad-request',
    );
    // <enabled/> came before the answer to anything sent after it: stream management is on.
    assert.ok(smOf(phone).enabled && smOf(phone).id, 'xmpp.js enabled stream management with resumption');

    // Detached (XEP-0198): a message reaches the phone, which has not acknowledged it yet (xmpp.js
    // answers the server's <r/>, sent every edge.sm.requestAckEvery stanzas), and the socket dies.
    // The edge detaches the session with that message unacknowledged: the router publishes.
    await sender.send(xml('message', { to: phone.jid, type: 'chat', id: 'unacked' }, xml('body', {}, 'Wherefore art thou?')));
    await phone.waitFor('the message', isMessageWithBody('Wherefore art thou?'));
    killSocket(phone);
    const [atDetach] = await server.waitFor(`phone-${tag}`, 1);
    assert.deepEqual(atDetach, {
      from: alice,
      node: `phone-${tag}`,
      summary: { FORM_TYPE: 'urn:xmpp:push:summary', 'message-count': '1', 'last-message-sender': sender.jid },
      options: { FORM_TYPE: PUBLISH_OPTIONS, secret: 's3cr3t' },
    });
    // Detached for sure now (the edge told the router after recording it): the next message is held
    // for the resume, and published.
    await sender.send(xml('message', { to: phone.jid, type: 'chat', id: 'held' }, xml('body', {}, 'Romeo?')));
    const [, held] = await server.waitFor(`phone-${tag}`, 2);
    assert.equal(held!.summary['message-count'], '1');
    assert.equal(held!.summary['last-message-body'], undefined, 'no body unless configured');

    // Offline: carol enables push, then logs out cleanly; a message to her is stored and published.
    const laptop = await on(last, carol, 'laptop');
    await laptop.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: PUSH, jid: app.jid, node: `carol-${tag}` })));
    await laptop.send(xml('presence'));
    await laptop.stop();
    // A chat state alone wakes nobody (not stored, not published); the message after it does.
    await sender.send(xml('message', { to: carol, type: 'chat', id: 'cs' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await sender.send(xml('message', { to: carol, type: 'chat', id: 'off-1' }, xml('body', {}, 'call me')));
    const carolPublishes = await server.waitFor(`carol-${tag}`, 1);
    assert.equal(carolPublishes.length, 1, 'one publish: the chat state alone made none');
    assert.equal(carolPublishes[0]!.summary['last-message-sender'], sender.jid);
    assert.equal(carolPublishes[0]!.summary['last-message-body'], undefined, 'no body unless configured');
    const back = await on(first, carol, 'laptop');
    await back.send(xml('presence'));
    await back.waitFor('the stored message', isMessageWithBody('call me'));
    // §6: disabled, no more publishes to that node — proven by the next offline message publishing
    // only to a node enabled after the disable (publishes for one account go out in the order enabled).
    await back.iq(xml('iq', { type: 'set' }, xml('disable', { xmlns: PUSH, jid: app.jid, node: `carol-${tag}` })));
    await back.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: PUSH, jid: app.jid, node: `carol-2-${tag}` })));
    await back.stop();
    await sender.send(xml('message', { to: carol, type: 'chat', id: 'off-2' }, xml('body', {}, 'again')));
    await server.waitFor(`carol-2-${tag}`, 1);
    assert.equal(server.publishes.filter((p) => p.node === `carol-${tag}`).length, 1, 'nothing more to the disabled node');

    // slixmpp as the App Server (another XML stack reading our publish): dave enables push to it
    // with publish options, logs out, and a message to him is published there.
    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const slixJid = `${slixapp}/app`;
    const slix = slixmppScript('slix_push_app.py', [
      ...['--jid', slixJid, '--password', `slixapp-push-${tag}-password`, '--port', String(first.c2sPort), '--ca', join(caDir, 'ca.pem')],
      ...['--ready-to', sender.jid, '--expect', '1'],
    ]);
    await sender.waitFor(
      'the slixmpp App Server to be online',
      (s) => s.is('message') && s.attrs.from === slixJid && s.getChildText('body') === 'ready',
      30_000,
    );
    const davePhone = await on(last, dave, 'phone');
    await davePhone.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: PUSH, jid: slixJid, node: `dave-${tag}` }, secretForm('d4ve'))));
    await davePhone.stop();
    await sender.send(xml('message', { to: dave, type: 'chat', id: 'slix-1' }, xml('body', {}, 'to dave')));
    const res = await slix;
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const report = JSON.parse(res.stdout.trim().split('\n').pop()!) as { publishes: Publish[] };
    assert.deepEqual(report.publishes, [
      {
        from: dave,
        node: `dave-${tag}`,
        summary: { FORM_TYPE: 'urn:xmpp:push:summary', 'message-count': '1', 'last-message-sender': sender.jid },
        options: { FORM_TYPE: PUBLISH_OPTIONS, secret: 'd4ve' },
      },
    ]);
    assert.equal(sender.stanzas.filter((s) => s.is('message') && s.attrs.type === 'error').length, 0, 'nothing bounced');
  } finally {
    for (const c of clients) await c.stop();
  }
}
