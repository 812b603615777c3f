import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { freePort } from '#libs/testing';
import { startDnsServer, type DnsServer } from './harness/dns-server.js';
import { ejabberdInstalled, startEjabberd, type EjabberdPeer } from './harness/ejabberd.js';
import { gliderctl } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient, type XmppElement } from './harness/xmpp-client.js';

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const codes = (s: XmppElement): string[] => (s.getChild('x', USER)?.getChildren('status') ?? []).map((c: XmppElement) => c.attrs.code as string);
const presenceFrom = (from: string, type?: string) => (s: XmppElement) => s.is('presence') && s.attrs.from === from && s.attrs.type === type;
const selfPresence = (occupant: string, type?: string) => (s: XmppElement) => presenceFrom(occupant, type)(s) && codes(s).includes('110');
const join = (occupant: string) => xml('presence', { to: occupant }, xml('x', { xmlns: MUC }));

/**
 * XEP-0045 across federation with ejabberd (Debian 23.01, mod_muc on conference.e.test), both
 * directions: an ejabberd user in a Glider room, a Glider user in an ejabberd room. ejabberd finds
 * a.test and conference.a.test by SRV records of a test DNS server (test/harness/ejabberd.ts);
 * Glider's certificate has DNS names only and clientAuth (ejabberd 23.01's limits, as in
 * federation-peers.e2e.ts), and names conference.a.test.
 */
describe(
  'XEP-0045 across federation with ejabberd (a.test ↔ e.test)',
  { skip: !ejabberdInstalled() && 'ejabberd not installed or not root (.ci/run installs it)' },
  () => {
    const dir = mkdtempSync(joinPath(tmpdir(), 'glider-muc-fed-ejabberd-'));
    const pki = makeFederationPki(dir);
    let glider: Deployment;
    let ejabberd: EjabberdPeer;
    let dns: DnsServer;
    let alice: TestClient;
    let erin: TestClient;
    const lobby = 'lobby@conference.a.test';
    const ops = 'ops@conference.e.test';

    before(async () => {
      trustCertificate(pki.caPem);
      const gliderS2s = await freePort();
      const srv = [{ port: gliderS2s, target: 'a.test' }];
      dns = await startDnsServer({ srv: { '_xmpp-server._tcp.a.test': srv, '_xmpp-server._tcp.conference.a.test': srv } });
      const e = pki.issue('e.test', { eku: 'serverAuth', san: [...xmppServerSans('e.test'), ...xmppServerSans('conference.e.test')] });
      ejabberd = await startEjabberd({
        domain: 'e.test',
        cert: e,
        caFile: pki.caFile,
        nameserver: dns,
        hosts: { 'a.test': '127.0.0.1' },
        users: { erin: 'erin-secret-5' },
        muc: 'conference.e.test',
      });
      const a = pki.issue('a.test', { eku: 'serverAuth,clientAuth', san: ['DNS:a.test', 'DNS:conference.a.test', 'DNS:localhost'] });
      const route = { host: '127.0.0.1', port: ejabberd.s2sPort };
      glider = await startStandalone({
        GLIDER_DOMAINS: JSON.stringify(['a.test']),
        GLIDER_TLS__CERT_FILE: a.chainFile,
        GLIDER_TLS__KEY_FILE: a.keyFile,
        GLIDER_TLS__OCSP_STAPLING: 'false',
        GLIDER_MUC__ENABLED: 'true',
        GLIDER_S2S__ENABLED: 'true',
        GLIDER_S2S__PORT: String(gliderS2s),
        GLIDER_S2S__DIRECT_TLS_PORT: '0',
        GLIDER_S2S__TRUST_FILE: pki.caFile,
        GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['e.test', 'conference.e.test'] }),
        GLIDER_S2S__ROUTES: JSON.stringify({ 'e.test': route, 'conference.e.test': route }),
      });
      assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: glider.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
      const g = glider.edges[0]!;
      alice = await connect(`xmpp://${g.host}:${g.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
      erin = await connect(`xmpp://127.0.0.1:${ejabberd.c2sPort}`, 'erin', 'erin-secret-5', 'tablet', 'e.test');
      for (const c of [alice, erin]) await c.send(xml('presence'));
    });
    after(async () => {
      for (const c of [alice, erin]) await c?.stop().catch(() => undefined);
      await glider?.stop();
      await ejabberd?.stop();
      await dns?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('an ejabberd user in a Glider room: join, the room’s stanza-id, groupchat both ways, leave', async () => {
      await alice.send(join(`${lobby}/Alice`));
      await alice.waitFor('alice creates the lobby', selfPresence(`${lobby}/Alice`));
      assert.equal(
        (await alice.iq(xml('iq', { type: 'set', to: lobby }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))))).attrs
          .type,
        'result',
      );
      await erin.send(join(`${lobby}/erin`));
      await erin.waitFor('erin in the Glider room', selfPresence(`${lobby}/erin`), 30_000);
      assert.ok(erin.stanzas.some(presenceFrom(`${lobby}/Alice`)), 'the occupant list');
      await alice.waitFor('alice sees erin', presenceFrom(`${lobby}/erin`));
      await erin.send(xml('message', { to: lobby, type: 'groupchat' }, xml('body', {}, 'hello from ejabberd')));
      const got = await alice.waitFor('erin talks', isMessageWithBody('hello from ejabberd'));
      assert.equal(got.attrs.from, `${lobby}/erin`);
      assert.equal(got.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by, lobby);
      await alice.send(xml('message', { to: lobby, type: 'groupchat' }, xml('body', {}, 'hello ejabberd')));
      assert.equal((await erin.waitFor('alice talks to erin', isMessageWithBody('hello ejabberd'))).attrs.from, `${lobby}/Alice`);
      await erin.send(xml('presence', { to: `${lobby}/erin`, type: 'unavailable' }));
      await erin.waitFor('erin left', selfPresence(`${lobby}/erin`, 'unavailable'));
      await alice.waitFor('alice sees erin leave', presenceFrom(`${lobby}/erin`, 'unavailable'));
    });

    it('a Glider user in an ejabberd room: join, groupchat both ways, leave', async () => {
      await erin.send(join(`${ops}/erin`));
      await erin.waitFor('erin creates an ejabberd room', selfPresence(`${ops}/erin`));
      await erin.iq(xml('iq', { type: 'set', to: ops }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
      await alice.send(join(`${ops}/alice`));
      await alice.waitFor('alice in the ejabberd room', selfPresence(`${ops}/alice`), 30_000);
      await erin.waitFor('erin sees alice', presenceFrom(`${ops}/alice`));
      await alice.send(xml('message', { to: ops, type: 'groupchat' }, xml('body', {}, 'hello from Glider')));
      assert.equal((await erin.waitFor('erin hears alice', isMessageWithBody('hello from Glider'))).attrs.from, `${ops}/alice`);
      await erin.send(xml('message', { to: ops, type: 'groupchat' }, xml('body', {}, 'hello from the ejabberd room')));
      assert.equal((await alice.waitFor('alice hears erin', isMessageWithBody('hello from the ejabberd room'))).attrs.from, `${ops}/erin`);
      await alice.send(xml('presence', { to: `${ops}/alice`, type: 'unavailable' }));
      await alice.waitFor('alice left', selfPresence(`${ops}/alice`, 'unavailable'));
      await erin.waitFor('erin sees alice leave', presenceFrom(`${ops}/alice`, 'unavailable'));
    });
  },
);
