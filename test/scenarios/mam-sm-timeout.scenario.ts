import assert from 'node:assert/strict';
import { waitFor } from '#libs/testing';
import { type Element as RawElement, xml as rawXml } from '#libs/xml';
import { RawClient } from '../../apps/edge/src/testing/raw-client.js';
import { addUser, gliderctl } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient } from '../harness/xmpp-client.js';

const MAM = 'urn:xmpp:mam:2';
const RSM = 'http://jabber.org/protocol/rsm';
const SID = 'urn:xmpp:sid:0';
const SM = 'urn:xmpp:sm:3';

/** The deployment's environment for it: stream management offered, detached sessions reaped quickly. */
export const smTimeoutEnv: Record<string, string> = {
  GLIDER_EDGE__SM__ENABLED: 'true',
  GLIDER_EDGE__SM__REAP_INTERVAL_MS: '300',
};

/**
 * Issue 10 point 3 with the archive on: messages delivered to a stream-management session that
 * never acknowledges them and never resumes go back to the router when the session times out and
 * end in offline storage — archived once, on their first routing (XEP-0313), with the same
 * XEP-0359 stanza-id on the copy the user finally gets as on the one the lost client was sent.
 */
export async function mamSmTimeoutScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const [alice, bob] = ['alice', 'bob'].map((u) => `${u}-smto-${tag}@${d.domain}`) as [string, string];
  for (const u of [alice, bob]) await addUser(u, 'smto-password', d.adminPort);
  const edge = d.edges[0]!;
  const clients: TestClient[] = [];
  const phone = await RawClient.connect({ mode: 'tcp', host: edge.host, port: edge.c2sPort });
  try {
    // bob's phone: stream management with resumption for 1 s (§5 max), never acknowledging
    await phone.login(d.domain, bob.split('@')[0]!, 'smto-password', 'phone');
    phone.send(rawXml('enable', { xmlns: SM, resume: 'true', max: '1' }));
    assert.equal((await phone.element()).name, 'enabled');
    phone.send(rawXml('presence'));
    const a = await connect(`xmpp://${edge.host}:${edge.c2sPort}`, alice.split('@')[0]!, 'smto-password', 'pc');
    clients.push(a);
    const bodies = ['h0', 'h1', 'h2'];
    for (const b of bodies) await a.send(xml('message', { to: `${bob}/phone`, type: 'chat', id: b }, xml('body', {}, b)));
    const seen = new Map<string, string>();
    while (seen.size < bodies.length) {
      const el: RawElement = await phone.element();
      if (el.name !== 'message') continue; // its <r/> requests, its own presence
      const sid = el.getChildren('stanza-id', SID).filter((s) => s.attrs.by === bob);
      assert.equal(sid.length, 1, String(el));
      seen.set(el.getChildText('body')!, sid[0]!.attrs.id!);
    }
    phone.close(); // lost, never resumed: the session times out and gives its unacknowledged messages back
    await waitFor(async () => (await gliderctl(['user', 'sessions', bob], { adminPort: d.adminPort })).stdout.trim() === '', {
      what: "bob's detached session to time out",
      timeoutMs: 30_000,
      intervalMs: 300,
    });

    const b = await connect(`xmpp://${edge.host}:${edge.c2sPort}`, bob.split('@')[0]!, 'smto-password', 'laptop');
    clients.push(b);
    await b.send(xml('presence'));
    for (const body of bodies) {
      const got = await b.waitFor(`${body} again`, isMessageWithBody(body));
      const ids = got.getChildren('stanza-id', SID).filter((s) => s.attrs.by === bob);
      assert.deepEqual(
        ids.map((s) => s.attrs.id),
        [seen.get(body)],
        'the stanza-id it was archived under, once',
      );
    }
    const answer = await b.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM, queryid: 'once' })));
    assert.equal(answer.attrs.type, 'result', String(answer));
    const set = answer.getChild('fin', MAM)?.getChild('set', RSM);
    assert.equal(set?.getChildText('count'), String(bodies.length), 'archived once each, not again when given back or stored offline');
    const archivedIds = b.stanzas
      .filter((s) => s.is('message') && s.getChild('result', MAM)?.attrs.queryid === 'once')
      .map((s) => s.getChild('result', MAM)!.attrs.id);
    assert.deepEqual(
      archivedIds,
      bodies.map((x) => seen.get(x)),
    );
  } finally {
    phone.close();
    for (const c of clients) await c.stop();
  }
}
