import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmppScript } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const EVENT = 'http://jabber.org/protocol/pubsub#event';
const DISCO = 'http://jabber.org/protocol/disco#info';
const TUNE = 'http://jabber.org/protocol/tune';

/** XEP-0115 §5.1 for one identity and a feature list (what xmpp.js announces below). */
function capsVer(features: string[]): string {
  const s = `client/pc//xmpp.js<${[...features].sort().join('<')}<`;
  return createHash('sha1').update(s, 'utf8').digest('base64');
}

const tuneEvent = (from: string, title: string) => (s: XmppElement) =>
  s.is('message') &&
  s.attrs.from === from &&
  s.getChild('event', EVENT)?.getChild('items')?.getChild('item')?.getChild('tune', TUNE)?.getChildText('title') === title;

async function iqCondition(c: TestClient, stanza: XmppElement): Promise<string> {
  try {
    await c.iq(stanza);
    return 'result';
  } catch (err) {
    return (err as { condition?: string }).condition ?? String(err);
  }
}

/**
 * XEP-0163 with real clients: xmpp.js alice and slixmpp bob, subscribed to each other. Alice's PEP
 * shows identity pubsub/pep; she publishes a tune; bob's slixmpp logs in with caps that want tunes
 * (the server asks it for the hash's features and verifies them, XEP-0115) and gets her last tune;
 * it publishes its own, and alice (caps answered by hand) gets that notification. Bob may read
 * alice's node but not publish to it.
 */
export async function pepScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const alice = `alice-pep-${tag}@${d.domain}`;
  const bob = `bob-pep-${tag}@${d.domain}`;
  await addUser(alice, 'alice-password', d.adminPort);
  await addUser(bob, 'bob-password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  const on = async (e: typeof first, user: string, password: string, resource: string) => {
    const c = await connect(`xmpp://${e.host}:${e.c2sPort}`, user.split('@')[0]!, password, resource);
    clients.push(c);
    return c;
  };
  try {
    const pc = await on(first, alice, 'alice-password', 'pc');
    const setup = await on(last, bob, 'bob-password', 'setup');
    // mutual presence subscription (RFC 6121 §3), between available, interested resources
    for (const c of [pc, setup]) {
      await c.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      await c.send(xml('presence'));
    }
    await pc.send(xml('presence', { to: bob, type: 'subscribe' }));
    await setup.waitFor('alice’s request', (s) => s.is('presence') && s.attrs.type === 'subscribe');
    await setup.send(xml('presence', { to: alice, type: 'subscribed' }));
    await setup.send(xml('presence', { to: alice, type: 'subscribe' }));
    await pc.waitFor('bob’s request', (s) => s.is('presence') && s.attrs.type === 'subscribe');
    await pc.send(xml('presence', { to: bob, type: 'subscribed' }));
    await setup.waitFor('alice approved', (s) => s.is('presence') && s.attrs.type === 'subscribed');
    await pc.waitFor('bob approved', (s) => s.is('presence') && s.attrs.type === 'subscribed');

    // XEP-0163 §6.1: the account shows identity pubsub/pep and publish-options
    const info = await pc.iq(xml('iq', { type: 'get', to: alice }, xml('query', { xmlns: DISCO })));
    const q = info.getChild('query')!;
    assert.ok(
      q.getChildren('identity').some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep'),
      info.toString(),
    );
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === `${PUBSUB}#publish-options`));

    const publish = (title: string) =>
      xml(
        'iq',
        { type: 'set' },
        xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: TUNE }, xml('item', { id: 'current' }, xml('tune', { xmlns: TUNE }, xml('title', {}, title))))),
      );
    await pc.iq(publish('Alpha'));

    // alice announces caps with tune+notify and answers the server's disco#info about them
    const features = [DISCO, TUNE, `${TUNE}+notify`];
    const ver = capsVer(features);
    pc.xmpp.iqCallee.get(DISCO, 'query', (ctx) =>
      xml(
        'query',
        { xmlns: DISCO, node: ctx.element.attrs.node },
        xml('identity', { category: 'client', type: 'pc', name: 'xmpp.js' }),
        ...features.map((f) => xml('feature', { var: f })),
      ),
    );
    await pc.send(xml('presence', {}, xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://github.com/xmppjs/xmpp.js', ver })));
    // her own last item comes back to her once the server knows her caps (§4.3.1: the owner too)
    await pc.waitFor('own last tune', tuneEvent(alice, 'Alpha'));

    // the other user may read but not publish (XEP-0163 §3)
    const items = await setup.iq(xml('iq', { type: 'get', to: alice }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: TUNE }))));
    assert.equal(items.getChild('pubsub')?.getChild('items')?.getChild('item')?.getChild('tune', TUNE)?.getChildText('title'), 'Alpha');
    assert.equal(
      await iqCondition(
        setup,
        xml('iq', { type: 'set', to: alice }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node: TUNE }, xml('item', {}, xml('tune', { xmlns: TUNE }))))),
      ),
      'forbidden',
    );
    await setup.stop();

    // slixmpp: gets alice's last tune on login (caps learned from it), then publishes its own
    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const slix = slixmppScript('slix_pep.py', [
      '--jid',
      `${bob}/slix`,
      '--password',
      'bob-password',
      '--port',
      String(last.c2sPort),
      '--ca',
      join(caDir, 'ca.pem'),
      '--peer',
      alice,
      '--expect',
      'Alpha',
      '--publish',
      'Beta',
    ]);
    await pc.waitFor('bob’s tune from slixmpp', tuneEvent(bob, 'Beta'), 40_000);
    const res = await slix;
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.deepEqual(JSON.parse(res.stdout.trim().split('\n').pop()!), { ok: true, got: 'Alpha', published: 'Beta' });
  } finally {
    for (const c of clients) await c.stop();
  }
}
