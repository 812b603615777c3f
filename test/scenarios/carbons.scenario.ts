import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmpp } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const CARBONS = 'urn:xmpp:carbons:2';

/** The message a carbon (XEP-0280 §6/§7) forwards, when `s` is one from the user's bare JID. */
function carbon(s: XmppElement, bare: string): { direction: string; inner: XmppElement } | undefined {
  if (!s.is('message') || s.attrs.from !== bare) return undefined;
  const wrap = s.getChild('received', CARBONS) ?? s.getChild('sent', CARBONS);
  const inner = wrap?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
  return wrap && inner ? { direction: wrap.name, inner } : undefined;
}
const isCarbon = (bare: string, direction: string, body: string) => (s: XmppElement) => {
  const c = carbon(s, bare);
  return c?.direction === direction && c.inner.getChildText('body') === body;
};

/**
 * XEP-0280 with real clients: xmpp.js (two resources of alice, on the first and the last edge, and
 * bob) for received and sent carbons, the private hint and disable; slixmpp's xep_0280 plugin for
 * a received carbon. The sender's next stanza is routed only after its carbons were taken (the
 * router's Ack waits for them), so a later message proves an earlier copy was not made.
 */
export async function carbonsScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const alice = `alice-carbons-${tag}@${d.domain}`;
  const bob = `bob-carbons-${tag}@${d.domain}`;
  await addUser(alice, 'alice-password', d.adminPort);
  await addUser(bob, 'bob-password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  const on = async (e: typeof first, user: string, resource: string) => {
    const c = await connect(`xmpp://${e.host}:${e.c2sPort}`, user.split('@')[0]!, `${user.split('-')[0]}-password`, resource);
    clients.push(c);
    await c.send(xml('presence'));
    return c;
  };
  try {
    const pc = await on(first, alice, 'pc');
    const phone = await on(last, alice, 'phone');
    const laptop = await on(first, bob, 'laptop');
    for (const c of [pc, phone]) {
      const r = await c.iq(xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })));
      assert.equal(r.attrs.type, 'result');
    }

    // §6 received: bob → alice/pc; the phone gets the copy.
    await laptop.send(xml('message', { to: pc.jid, type: 'chat' }, xml('body', {}, 'to the pc')));
    await pc.waitFor('the original', isMessageWithBody('to the pc'));
    const rc = await phone.waitFor('a received carbon', isCarbon(alice, 'received', 'to the pc'));
    assert.equal(rc.attrs.to, phone.jid);
    assert.equal(carbon(rc, alice)!.inner.attrs.from, laptop.jid);

    // §7 sent, and §8 private: the private one is never copied; the next message's copy proves it.
    await pc.send(xml('message', { to: bob, type: 'chat' }, xml('body', {}, 'secret'), xml('private', { xmlns: CARBONS })));
    await pc.send(xml('message', { to: bob, type: 'chat' }, xml('body', {}, 'from the pc')));
    await laptop.waitFor('the secret', isMessageWithBody('secret'));
    const sc = await phone.waitFor('a sent carbon', isCarbon(alice, 'sent', 'from the pc'));
    assert.equal(carbon(sc, alice)!.inner.attrs.to, bob);
    assert.equal(phone.stanzas.filter(isCarbon(alice, 'sent', 'secret')).length, 0, 'private was copied');
    assert.equal(pc.stanzas.filter((s) => carbon(s, alice)?.direction === 'sent').length, 0, 'the sender got its own copy');

    // §5 disable: the phone gets no copy any more; the pc's direct message to it comes after.
    assert.equal((await phone.iq(xml('iq', { type: 'set' }, xml('disable', { xmlns: CARBONS })))).attrs.type, 'result');
    await pc.send(xml('message', { to: bob, type: 'chat' }, xml('body', {}, 'after disable')));
    await pc.send(xml('message', { to: phone.jid, type: 'chat' }, xml('body', {}, 'marker')));
    await phone.waitFor('the marker', isMessageWithBody('marker'));
    assert.equal(phone.stanzas.filter(isCarbon(alice, 'sent', 'after disable')).length, 0, 'copied after disable');

    // slixmpp: pings the server (xep_0199), enables carbons (xep_0280), then tells the pc it is ready; bob's message to the pc
    // reaches it as a received carbon.
    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const slix = slixmpp(
      ['--jid', `${alice}/slix`, '--password', 'alice-password', '--port', String(last.c2sPort), '--ca', join(caDir, 'ca.pem')].concat([
        '--ping',
        '--carbons',
        '--send-to',
        pc.jid,
        '--send-body',
        'slix ready',
        '--expect-body',
        'for slixmpp too',
      ]),
    );
    await pc.waitFor('slixmpp ready', isMessageWithBody('slix ready'));
    await laptop.send(xml('message', { to: pc.jid, type: 'chat' }, xml('body', {}, 'for slixmpp too')));
    const res = await slix;
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const got = JSON.parse(res.stdout.trim().split('\n').pop()!) as { pinged?: boolean; received: { carbon: string; from: string; to: string } };
    assert.equal(got.pinged, true, "XEP-0199 §4.2: the server answers slixmpp's ping");
    assert.deepEqual(got.received, { carbon: 'received', from: laptop.jid, to: pc.jid, body: 'for slixmpp too' });
  } finally {
    for (const c of clients) await c.stop();
  }
}
