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
const BOOKMARKS = 'urn:xmpp:bookmarks:1';
const MDS = 'urn:xmpp:mds:displayed:0';
const VCARD4 = 'urn:xmpp:vcard4';

/** publish-options as XEP-0223 §3 forms them (XEP-0402 §3, XEP-0490 §4.2, OMEMO's open nodes). */
function options(fields: Record<string, string>): XmppElement {
  return xml(
    'publish-options',
    {},
    xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${PUBSUB}#publish-options`)),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
    ),
  );
}
const PRIVATE_NODE = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};
const publish = (node: string, id: string, payload: XmppElement, opts?: Record<string, string>) =>
  xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB }, xml('publish', { node }, xml('item', { id }, payload)), ...(opts ? [options(opts)] : [])));
const items = (to: string, node: string) => xml('iq', { type: 'get', to }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node })));
const itemIds = (r: XmppElement) =>
  r
    .getChild('pubsub')!
    .getChild('items')!
    .getChildren('item')
    .map((i) => i.attrs.id as string)
    .sort();
const eventFor = (node: string, id: string) => (s: XmppElement) =>
  s.is('message') &&
  s.getChild('event', EVENT)?.getChild('items')?.attrs.node === node &&
  s
    .getChild('event', EVENT)!
    .getChild('items')!
    .getChildren('item')
    .some((i) => i.attrs.id === id);

async function condition(c: TestClient, stanza: XmppElement): Promise<string> {
  try {
    await c.iq(stanza);
    return 'result';
  } catch (err) {
    return (err as { condition?: string }).condition ?? String(err);
  }
}

/** Announces XEP-0115 caps with `features` (a set new to the server) and answers the server's disco#info about them. */
export async function announceCaps(c: TestClient, features: string[]): Promise<void> {
  const all = [DISCO, ...features];
  const ver = createHash('sha1')
    .update(`client/pc//xmpp.js<${[...all].sort().join('<')}<`, 'utf8')
    .digest('base64');
  c.xmpp.iqCallee.get(DISCO, 'query', (ctx) =>
    xml(
      'query',
      { xmlns: DISCO, node: ctx.element.attrs.node },
      xml('identity', { category: 'client', type: 'pc', name: 'xmpp.js' }),
      ...all.map((f) => xml('feature', { var: f })),
    ),
  );
  await c.send(xml('presence', {}, xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://github.com/xmppjs/xmpp.js', ver })));
  // A hash new to the server is asked about (XEP-0115 §6.3): after the question, notifications follow.
  await c.waitFor(
    'the server’s caps query',
    (s) => s.is('iq') && s.attrs.type === 'get' && s.getChild('query', DISCO)?.attrs.node?.endsWith(`#${ver}`) === true,
  );
}

async function slixBookmarks(d: Deployment, args: string[]): Promise<{ ok: boolean; rooms?: [string, string, boolean][]; urls?: string[]; error?: string }> {
  const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
  writeFileSync(join(caDir, 'ca.pem'), d.certPem());
  const res = await slixmppScript('slix_bookmarks.py', [...args, '--port', String(d.edges[0]!.c2sPort), '--ca', join(caDir, 'ca.pem')]);
  const last = res.stdout.trim().split('\n').pop() ?? '';
  assert.ok(last.startsWith('{'), `slix_bookmarks.py printed no result: ${res.stdout}${res.stderr}`);
  return JSON.parse(last) as { ok: boolean; rooms?: [string, string, boolean][]; urls?: string[]; error?: string };
}

/**
 * What lives on PEP, with real clients. Bookmarks (XEP-0402 #compat): slixmpp's xep_0048 stores
 * legacy private-XML bookmarks and alice's xmpp.js (caps with bookmarks:1+notify) is notified of
 * the XEP-0402 item; xmpp.js adds one the XEP-0402 way and slixmpp reads both back. MDS (XEP-0490):
 * a whitelist node with max_items 'max' syncs alice's two resources, bob cannot read it. vCard4
 * (XEP-0292) and OMEMO device lists and bundles (XEP-0384, legacy and :2) on open nodes are read by
 * carol, who has no subscription at all.
 */
export async function pepDataScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const alice = `alice-pd-${tag}@${d.domain}`;
  const bob = `bob-pd-${tag}@${d.domain}`;
  const carol = `carol-pd-${tag}@${d.domain}`;
  for (const u of [alice, bob, carol]) await addUser(u, 'password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  const on = async (e: typeof first, user: string, resource: string) => {
    const c = await connect(`xmpp://${e.host}:${e.c2sPort}`, user.split('@')[0]!, 'password', resource);
    clients.push(c);
    return c;
  };
  try {
    const pc = await on(first, alice, 'pc');
    const phone = await on(last, alice, 'phone');
    const b = await on(last, bob, 'pc');
    const c = await on(first, carol, 'pc');
    await announceCaps(phone, [`${BOOKMARKS}+notify`, `${MDS}+notify`]);
    await pc.send(xml('presence'));

    // The account advertises the bookmarks compatibility (XEP-0402 §5.3).
    const info = await pc.iq(xml('iq', { type: 'get', to: alice }, xml('query', { xmlns: DISCO })));
    const features = info
      .getChild('query')!
      .getChildren('feature')
      .map((f) => f.attrs.var as string);
    assert.ok(features.includes(`${BOOKMARKS}#compat`), info.toString());

    // Legacy client → XEP-0402 items, notified to the interested resource.
    const room1 = `room1-${tag}@conference.${d.domain}`;
    const legacy = await slixBookmarks(d, ['--jid', `${alice}/slix`, '--password', 'password', '--mode', 'set', '--room', room1, '--name', 'Room one']);
    assert.deepEqual(legacy, { ok: true, rooms: [[room1, 'Room one', true]], urls: ['https://example.com/'] });
    await phone.waitFor('the XEP-0402 notification of the legacy bookmark', eventFor(BOOKMARKS, room1));
    const got = await pc.iq(items(alice, BOOKMARKS));
    assert.deepEqual(itemIds(got), [room1]);
    const conf = got.getChild('pubsub')!.getChild('items')!.getChild('item')!.getChild('conference', BOOKMARKS)!;
    assert.equal(conf.attrs.name, 'Room one');
    assert.equal(conf.attrs.autojoin, 'true');
    assert.equal(conf.getChildText('nick'), 'slix');

    // XEP-0402 client → legacy view (the URL bookmark of the legacy list is kept).
    const room2 = `room2-${tag}@conference.${d.domain}`;
    await pc.iq(publish(BOOKMARKS, room2, xml('conference', { xmlns: BOOKMARKS, name: 'Room two' }, xml('nick', {}, 'al')), PRIVATE_NODE));
    const back = await slixBookmarks(d, ['--jid', `${alice}/slix`, '--password', 'password', '--mode', 'get']);
    assert.deepEqual(back, {
      ok: true,
      rooms: [
        [room1, 'Room one', true],
        [room2, 'Room two', false],
      ],
      urls: ['https://example.com/'],
    });
    // #compat-pep and XEP-0411: slixmpp's xep_0048 over PEP (storage:bookmarks) sees the same list,
    // and a list it publishes there replaces the XEP-0402 items, which the private XML view follows.
    assert.ok(features.includes(`${BOOKMARKS}#compat-pep`) && features.includes('urn:xmpp:bookmarks-conversion:0'), info.toString());
    const overPep = await slixBookmarks(d, ['--jid', `${alice}/slixpep`, '--password', 'password', '--mode', 'get', '--method', 'pep']);
    assert.deepEqual(overPep.rooms, back.rooms);
    const room3 = `room3-${tag}@conference.${d.domain}`;
    const replaced = await slixBookmarks(d, [
      '--jid',
      `${alice}/slixpep`,
      '--password',
      'password',
      '--mode',
      'set',
      '--method',
      'pep',
      '--room',
      room3,
      '--name',
      'Room three',
    ]);
    assert.equal(replaced.ok, true, replaced.error);
    await phone.waitFor('the XEP-0402 notification of the legacy PEP bookmark', eventFor(BOOKMARKS, room3));
    assert.deepEqual(itemIds(await pc.iq(items(alice, BOOKMARKS))), [room3]);
    const viaPrivate = await slixBookmarks(d, ['--jid', `${alice}/slix`, '--password', 'password', '--mode', 'get']);
    assert.deepEqual(viaPrivate.rooms, [[room3, 'Room three', true]]);

    // XEP-0060 §6.5.9.8: not on the whitelist → <not-allowed/> (with <closed-node/>).
    assert.equal(await condition(b, items(alice, BOOKMARKS)), 'not-allowed', 'a contact cannot read whitelist bookmarks');

    // XEP-0490: one resource marks bob's chat displayed, the other is told; bob cannot read it.
    const displayed = () => xml('displayed', { xmlns: MDS }, xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: alice, id: `sid-${tag}` }));
    await pc.iq(publish(MDS, bob, displayed(), PRIVATE_NODE));
    const seen = await phone.waitFor('the MDS notification', eventFor(MDS, bob));
    assert.equal(
      seen.getChild('event', EVENT)!.getChild('items')!.getChild('item')!.getChild('displayed', MDS)!.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id,
      `sid-${tag}`,
    );
    await pc.iq(publish(MDS, carol, displayed(), PRIVATE_NODE));
    assert.deepEqual(itemIds(await phone.iq(items(alice, MDS))), [bob, carol].sort(), "max_items 'max': one item per chat");
    assert.equal(await condition(b, items(alice, MDS)), 'not-allowed');
    // A publish with other options than the node's is refused (XEP-0223 precondition).
    assert.equal(await condition(pc, publish(MDS, bob, displayed(), { ...PRIVATE_NODE, 'pubsub#access_model': 'open' })), 'conflict');

    // XEP-0490 §4.5 server assist: the marker goes to carol without the stanza-id; the node follows.
    assert.ok(features.includes('urn:xmpp:mds:server-assist:0'), info.toString());
    await c.send(xml('presence'));
    // Available once the server echoes it (RFC 6121 §4.2.2): a chat sent earlier would be stored offline.
    await c.waitFor('carol’s own presence', (s) => s.is('presence') && s.attrs.from === c.jid && !s.attrs.type);
    await pc.send(
      xml(
        'message',
        { to: carol, type: 'chat', id: `assist-${tag}` },
        xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'm1' }),
        xml('displayed', { xmlns: MDS }, xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: alice, id: `assist-sid-${tag}` })),
      ),
    );
    const marker = await c.waitFor('the chat marker', (s) => s.is('message') && s.attrs.id === `assist-${tag}`);
    assert.ok(marker.getChild('displayed', 'urn:xmpp:chat-markers:0'));
    assert.ok(!marker.getChild('displayed', MDS), 'the stanza-id is not leaked to the recipient');
    await phone.waitFor('the MDS notification from server assist', (s) => eventFor(MDS, carol)(s) && s.toString().includes(`assist-sid-${tag}`));

    // XEP-0292 vCard4 and XEP-0384 OMEMO on open nodes: carol (no subscription) reads them.
    await pc.iq(
      publish(VCARD4, 'current', xml('vcard', { xmlns: 'urn:ietf:params:xml:ns:vcard-4.0' }, xml('fn', {}, xml('text', {}, 'Alice'))), {
        'pubsub#access_model': 'open',
      }),
    );
    const card = await c.iq(items(alice, VCARD4));
    assert.equal(
      card.getChild('pubsub')!.getChild('items')!.getChild('item')!.getChild('vcard', 'urn:ietf:params:xml:ns:vcard-4.0')?.getChild('fn')?.getChildText('text'),
      'Alice',
    );
    const open = { 'pubsub#access_model': 'open' };
    const axolotl = 'eu.siacs.conversations.axolotl';
    await pc.iq(publish(`${axolotl}.devicelist`, 'current', xml('list', { xmlns: axolotl }, xml('device', { id: '1234' })), open));
    await pc.iq(publish(`${axolotl}.bundles:1234`, 'current', xml('bundle', { xmlns: axolotl }, xml('identityKey', {}, 'AAAA')), open));
    await pc.iq(publish('urn:xmpp:omemo:2:devices', 'current', xml('devices', { xmlns: 'urn:xmpp:omemo:2' }, xml('device', { id: '1234' })), open));
    await pc.iq(
      publish('urn:xmpp:omemo:2:bundles', '1234', xml('bundle', { xmlns: 'urn:xmpp:omemo:2' }, xml('ik', {}, 'AAAA')), { ...open, 'pubsub#max_items': 'max' }),
    );
    for (const node of [`${axolotl}.devicelist`, `${axolotl}.bundles:1234`, 'urn:xmpp:omemo:2:devices'])
      assert.deepEqual(itemIds(await c.iq(items(alice, node))), ['current'], node);
    assert.deepEqual(itemIds(await c.iq(items(alice, 'urn:xmpp:omemo:2:bundles'))), ['1234']);
    // XEP-0084 as Conversations publishes it: data then metadata, both with access_model open.
    const png = Buffer.from('\x89PNG\r\n\x1a\n-avatar-of-alice', 'binary');
    const hash = createHash('sha1').update(png).digest('hex');
    await pc.iq(publish('urn:xmpp:avatar:data', hash, xml('data', { xmlns: 'urn:xmpp:avatar:data' }, png.toString('base64')), open));
    await pc.iq(
      publish(
        'urn:xmpp:avatar:metadata',
        hash,
        xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' }, xml('info', { id: hash, bytes: String(png.length), type: 'image/png' })),
        open,
      ),
    );
    assert.deepEqual(itemIds(await c.iq(items(alice, 'urn:xmpp:avatar:metadata'))), [hash]);
    assert.deepEqual(itemIds(await c.iq(items(alice, 'urn:xmpp:avatar:data'))), [hash]);
    // carol cannot publish there (XEP-0163 §3: only the owner publishes).
    assert.equal(
      await condition(
        c,
        xml(
          'iq',
          { type: 'set', to: alice },
          xml(
            'pubsub',
            { xmlns: PUBSUB },
            xml('publish', { node: VCARD4 }, xml('item', { id: 'current' }, xml('vcard', { xmlns: 'urn:ietf:params:xml:ns:vcard-4.0' }))),
          ),
        ),
      ),
      'forbidden',
    );
  } finally {
    for (const x of clients) await x.stop();
  }
}
