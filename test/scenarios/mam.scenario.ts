import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '#libs/testing';
import { slixmppMam } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const MAM = 'urn:xmpp:mam:2';
const RSM = 'http://jabber.org/protocol/rsm';
const SID = 'urn:xmpp:sid:0';

/** The deployment's environment for the archive scenario (on by default; said here so the scenario does not depend on it). */
export const mamEnv: Record<string, string> = {
  GLIDER_ARCHIVE__ENABLED: 'true',
  // The scenario asserts that every message is archived: on a loaded CI machine a bounded
  // preferences read must not give up on it (the bounds themselves: archiving.spec.ts).
  GLIDER_ARCHIVE__PREFS_READ_TIMEOUT_MS: '15000',
  GLIDER_ARCHIVE__WRITE_WAIT_MS: '15000',
};

/**
 * XEP-0313 with real clients: xmpp.js alice sends bob 6 chats and carol 3; bob's copies carry his
 * stanza-id (XEP-0359); bob pages his archive newest first (RSM <before/>), alice filters hers by
 * `with`; slixmpp's xep_0313 walks bob's archive newest first and alice's with a `with` filter.
 */
export async function mamScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((u) => `${u}-mam-${tag}@${d.domain}`) as [string, string, string];
  for (const u of [alice, bob, carol]) await addUser(u, 'mam-password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  const on = async (e: typeof first, user: string) => {
    const c = await connect(`xmpp://${e.host}:${e.c2sPort}`, user.split('@')[0]!, 'mam-password', 'e2e');
    clients.push(c);
    await c.send(xml('presence'));
    return c;
  };
  const query = async (c: TestClient, queryid: string, ...children: XmppElement[]) => {
    const answer = await c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM, queryid }, ...children)));
    assert.equal(answer.attrs.type, 'result', String(answer));
    const results = c.stanzas.filter((s) => s.is('message') && s.getChild('result', MAM)?.attrs.queryid === queryid);
    const bodies = results.map((s) => s.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!.getChildText('body'));
    return { fin: answer.getChild('fin', MAM)!, bodies };
  };
  try {
    const a = await on(first, alice);
    const b = await on(last, bob);
    const c = await on(first, carol);
    for (let i = 0; i < 9; i++) await a.send(xml('message', { to: i % 3 === 2 ? carol : bob, type: 'chat' }, xml('body', {}, `m${i}`)));
    const lastToBob = await b.waitFor('the last message', isMessageWithBody('m7'));
    await c.waitFor('m8', isMessageWithBody('m8'));
    // A delivery does not wait for the archive writes (they go beside it, and the sender's Ack waits
    // for them), and alice's messages travel to the router several per request (the edge's route
    // lane): having m8 does not mean m7 is archived yet. Wait until every archive holds them all
    // (RSM <max>0</max>: just the count, XEP-0059 §2.7).
    let counted = 0;
    const count = async (client: TestClient) => {
      const { fin } = await query(client, `count${++counted}`, xml('set', { xmlns: RSM }, xml('max', {}, '0')));
      return fin.getChild('set', RSM)?.getChildText('count');
    };
    await waitFor(async () => (await count(a)) === '9' && (await count(b)) === '6' && (await count(c)) === '3', {
      what: 'all nine messages archived (alice 9, bob 6, carol 3)',
      timeoutMs: 10_000,
      intervalMs: 250, // at most 40 rounds: under archive.maxQueriesPerMinute (60) per account
    });
    const sid = lastToBob.getChild('stanza-id', SID);
    assert.equal(sid?.attrs.by, bob);

    // bob, newest first: the last page, then the page before it (XEP-0313 §4.3 + XEP-0059 §2.5)
    const p1 = await query(b, 'p1', xml('set', { xmlns: RSM }, xml('max', {}, '4'), xml('before')));
    assert.deepEqual(p1.bodies, ['m3', 'm4', 'm6', 'm7']);
    assert.equal(p1.fin.getChild('set', RSM)?.getChildText('last'), sid?.attrs.id, "the delivered stanza-id is the archive's id");
    assert.equal(p1.fin.getChild('set', RSM)?.getChildText('count'), '6');
    const before = p1.fin.getChild('set', RSM)!.getChildText('first')!;
    const p2 = await query(b, 'p2', xml('set', { xmlns: RSM }, xml('max', {}, '4'), xml('before', {}, before)));
    assert.deepEqual(p2.bodies, ['m0', 'm1']);
    assert.equal(p2.fin.attrs.complete, 'true');

    // alice, with carol only (§4.1.1)
    const form = xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, MAM)),
      xml('field', { var: 'with' }, xml('value', {}, carol)),
    );
    const withCarol = await query(a, 'w', form);
    assert.deepEqual(withCarol.bodies, ['m2', 'm5', 'm8']);

    // slixmpp (Debian, xep_0313): bob's archive newest first in pages of 4; alice's with carol
    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const common = ['--password', 'mam-password', '--port', String(first.c2sPort), '--ca', join(caDir, 'ca.pem'), '--page', '4'];
    const slixBob = await slixmppMam(['--jid', `${bob}/slix`, ...common]);
    assert.equal(slixBob.code, 0, slixBob.stdout + slixBob.stderr);
    const gotBob = JSON.parse(slixBob.stdout.trim().split('\n').pop()!) as { bodies: string[]; advertised: boolean };
    assert.equal(gotBob.advertised, true, 'urn:xmpp:mam:2 on the account');
    assert.deepEqual(gotBob.bodies, ['m7', 'm6', 'm4', 'm3', 'm1', 'm0'], 'newest first over two pages of 4');
    const slixAlice = await slixmppMam(['--jid', `${alice}/slix`, '--with', carol, ...common]);
    assert.equal(slixAlice.code, 0, slixAlice.stdout + slixAlice.stderr);
    assert.deepEqual((JSON.parse(slixAlice.stdout.trim().split('\n').pop()!) as { bodies: string[] }).bodies, ['m8', 'm5', 'm2']);
  } finally {
    for (const c of clients) await c.stop();
  }
}
