import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { waitFor } from '#libs/testing';
import { startCluster } from '../harness/cluster.js';
import { gliderctl } from '../harness/gliderctl.js';
import { ownLoopbackAddress } from '../harness/loopback.js';
import { startProsody, type ProsodyOptions, type ProsodyPeer } from '../harness/prosody.js';
import { startStandalone, type Deployment } from '../harness/standalone.js';
import { s2sPortOf } from '../harness/glider-process.js';
import { TcpBalancer } from '../harness/tcp-balancer.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
const ADMIN = 'http://jabber.org/protocol/muc#admin';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SID = 'urn:xmpp:sid:0';
const OCCUPANT_ID = 'urn:xmpp:occupant-id:0';

const codes = (s: XmppElement): string[] => (s.getChild('x', USER)?.getChildren('status') ?? []).map((c: XmppElement) => c.attrs.code as string);
const presenceFrom = (from: string, type?: string) => (s: XmppElement) => s.is('presence') && s.attrs.from === from && s.attrs.type === type;
const selfPresence = (occupant: string) => (s: XmppElement) => presenceFrom(occupant)(s) && codes(s).includes('110');
const unavailableWith = (occupant: string, code: string) => (s: XmppElement) => presenceFrom(occupant, 'unavailable')(s) && codes(s).includes(code);
const occupantId = (s: XmppElement): string | undefined => s.getChild('occupant-id', OCCUPANT_ID)?.attrs.id;
const join = (room: string, nick: string, history?: Record<string, string>) =>
  xml('presence', { to: `${room}/${nick}` }, history ? xml('x', { xmlns: MUC }, xml('history', history)) : xml('x', { xmlns: MUC }));

/**
 * XEP-0045 across federation with a real Prosody (Debian 0.12 and its mod_muc), both directions
 * (issues 12 and 13): a Prosody user (bob@p.test) in a Glider room of conference.a.test, and Glider
 * users in a Prosody room of conference.p.test. Certificates from one test CA name the service
 * domains too; SASL EXTERNAL both ways. Prosody finds a.test and conference.a.test through its
 * hosts file on port 5269 of a loopback address of this run's own (test/harness/loopback.ts).
 * Glider's policy is a file: conference.p.test is not allowed at first (a join of its rooms gets
 * `remote-server-not-found` at once), then allowed without a restart.
 */
export class MucFederationScenario {
  glider!: Deployment;
  prosody!: ProsodyPeer;
  private gliderHost = '';
  private balancer: TcpBalancer | undefined;
  private prosodyOptions!: ProsodyOptions;
  private policyFile = '';
  private readonly clients: TestClient[] = [];
  private alice!: TestClient;
  private carol!: TestClient;
  private bob!: TestClient;
  private readonly lobby = 'lobby@conference.a.test';
  private readonly dev = 'dev@conference.p.test';

  constructor(private readonly dir: string) {}

  /** Prosody with its muc, then Glider (standalone, or a cluster: two edges, two muc replicas). */
  async start(cluster: boolean): Promise<void> {
    const pki = makeFederationPki(this.dir);
    trustCertificate(pki.caPem);
    this.gliderHost = await ownLoopbackAddress(5269, cluster ? 21 : 11);
    const p = pki.issue('p.test', { eku: 'serverAuth', san: [...xmppServerSans('p.test'), ...xmppServerSans('conference.p.test')] });
    this.prosodyOptions = {
      dir: joinPath(this.dir, 'prosody'),
      domain: 'p.test',
      certFile: p.chainFile,
      keyFile: p.keyFile,
      caFile: pki.caFile,
      hosts: { 'a.test': this.gliderHost, 'conference.a.test': this.gliderHost },
      users: { bob: 'bob-secret-22' },
      muc: 'conference.p.test',
    };
    this.prosody = await startProsody(this.prosodyOptions);
    this.policyFile = joinPath(this.dir, 'policy.json');
    this.setPolicy(['p.test']);
    const a = pki.issue('a.test', { eku: 'serverAuth', san: [...xmppServerSans('a.test'), ...xmppServerSans('conference.a.test'), 'DNS:localhost'] });
    const route = { host: '127.0.0.1', port: this.prosody.s2sPort };
    const env = {
      GLIDER_DOMAINS: JSON.stringify(['a.test']),
      GLIDER_TLS__CERT_FILE: a.chainFile,
      GLIDER_TLS__KEY_FILE: a.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_MUC__ENABLED: 'true',
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: '5269',
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      GLIDER_S2S__POLICY_FILE: this.policyFile,
      GLIDER_S2S__POLICY_POLL_MS: '200',
      GLIDER_S2S__ROUTES: JSON.stringify({ 'p.test': route, 'conference.p.test': route }),
    };
    let c2sHost = this.gliderHost;
    if (cluster) {
      // the edges' s2s on free ports, and a balancer on 5269 of our address in front of both (a
      // Kubernetes Service): each of Prosody's streams lands on the next edge
      const c = await startCluster({ edges: 2, mucs: 2, env: { ...env, GLIDER_S2S__PORT: '0' } });
      this.glider = c;
      const ports = await Promise.all(c.byRole('edge').map((e) => s2sPortOf(e.logFile)));
      this.balancer = await TcpBalancer.start(ports, { host: this.gliderHost, port: 5269 });
      c2sHost = c.edges[0]!.host;
    } else this.glider = await startStandalone({ ...env, GLIDER_EDGE__HOST: this.gliderHost });
    for (const [user, password] of [
      ['alice@a.test', 'alice-secret-1'],
      ['carol@a.test', 'carol-secret-3'],
    ])
      assert.equal((await gliderctl(['user', 'add', user!], { adminPort: this.glider.adminPort, stdin: `${password}\n` })).code, 0);
    const edges = this.glider.edges;
    this.alice = await this.client(`xmpp://${c2sHost}:${edges[0]!.c2sPort}`, 'alice', 'alice-secret-1', 'a.test');
    this.carol = await this.client(`xmpp://${c2sHost}:${edges[edges.length - 1]!.c2sPort}`, 'carol', 'carol-secret-3', 'a.test');
    this.bob = await this.client(`xmpp://127.0.0.1:${this.prosody.c2sPort}`, 'bob', 'bob-secret-22', 'p.test');
  }

  async stop(): Promise<void> {
    for (const c of this.clients) await c.stop().catch(() => undefined);
    await this.glider?.stop();
    await this.balancer?.stop();
    await this.prosody?.stop();
  }

  /**
   * bob@p.test enters a Glider room: the occupants' presence before his own (110), the history with
   * delays and the room's stanza-ids, the subject; groupchat both ways with one stanza-id and
   * occupant-id for everyone; private messages both ways (§7.5); disco#info and self-ping (XEP-0410)
   * across; a nick change (303); a kick (307);
   * leaving (§7.14); back in, with the same occupant-id (XEP-0421: the real bare JID decides).
   */
  async prosodyUserInGliderRoom(): Promise<void> {
    const { alice, carol, bob, lobby } = this;
    await alice.send(join(lobby, 'Alice'));
    assert.ok(codes(await alice.waitFor('alice creates the lobby', selfPresence(`${lobby}/Alice`))).includes('201'));
    const cfg = await alice.iq(xml('iq', { type: 'set', to: lobby }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
    assert.equal(cfg.attrs.type, 'result');
    await alice.send(xml('message', { to: lobby, type: 'groupchat' }, xml('subject', {}, 'across federation')));
    await alice.send(xml('message', { to: lobby, type: 'groupchat', id: 'h1' }, xml('body', {}, 'before bob')));
    await alice.waitFor('the history message back', isMessageWithBody('before bob'));
    await carol.send(join(lobby, 'carol'));
    await carol.waitFor('carol in', selfPresence(`${lobby}/carol`));

    // through s2s: p.test → conference.a.test, and conference.a.test → p.test back
    await bob.send(join(lobby, 'bob', { maxstanzas: '5' }));
    const self = await bob.waitFor('bob in the Glider room', selfPresence(`${lobby}/bob`), 30_000);
    const seen = bob.stanzas.filter((s) => s.is('presence') && s.attrs.from?.startsWith(`${lobby}/`)).map((s) => s.attrs.from);
    assert.deepEqual(seen.slice(0, 3), [`${lobby}/Alice`, `${lobby}/carol`, `${lobby}/bob`], 'the occupants, then his own (§7.2.3)');
    assert.ok(occupantId(self), 'occupant-id on his own presence');
    const history = await bob.waitFor('the history', isMessageWithBody('before bob'));
    assert.equal(history.attrs.from, `${lobby}/Alice`);
    assert.ok(history.getChild('delay', 'urn:xmpp:delay'), 'history is delayed (§7.2.14)');
    assert.equal(history.getChild('stanza-id', SID)?.attrs.by, lobby);
    const subject = await bob.waitFor('the subject', (s) => s.is('message') && s.getChildText('subject') === 'across federation');
    assert.equal(subject.attrs.from, `${lobby}/Alice`);
    const bobSeen = await alice.waitFor('alice sees bob come in', presenceFrom(`${lobby}/bob`));
    assert.equal(occupantId(bobSeen), occupantId(self));

    await bob.send(xml('message', { to: lobby, type: 'groupchat', id: 'b1' }, xml('body', {}, 'hello from Prosody')));
    const [atAlice, atCarol, echo] = await Promise.all(
      [alice, carol, bob].map((c) => c.waitFor('bob talks', (s) => isMessageWithBody('hello from Prosody')(s) && s.attrs.type === 'groupchat')),
    );
    for (const m of [atAlice!, atCarol!, echo!]) {
      assert.equal(m.attrs.from, `${lobby}/bob`);
      assert.equal(m.getChild('stanza-id', SID)?.attrs.by, lobby);
      assert.equal(occupantId(m), occupantId(self));
    }
    const sid = atAlice!.getChild('stanza-id', SID)!.attrs.id;
    assert.deepEqual(
      [atCarol, echo].map((m) => m!.getChild('stanza-id', SID)!.attrs.id),
      [sid, sid],
      'one stanza-id for everyone (XEP-0359)',
    );
    assert.equal(echo!.attrs.id, 'b1', "bob's echo keeps his id (§7.4: how clients know their own message)");
    await alice.send(xml('message', { to: lobby, type: 'groupchat' }, xml('body', {}, 'hello Prosody')));
    assert.equal((await bob.waitFor('alice talks to bob', isMessageWithBody('hello Prosody'))).attrs.from, `${lobby}/Alice`);

    await bob.send(xml('message', { to: `${lobby}/Alice`, type: 'chat' }, xml('body', {}, 'psst alice')));
    const pm = await alice.waitFor('a private message from bob', isMessageWithBody('psst alice'));
    assert.equal(pm.attrs.from, `${lobby}/bob`);
    assert.ok(pm.getChild('x', USER), 'marked as from the room (§7.5)');
    await alice.send(xml('message', { to: `${lobby}/bob`, type: 'chat' }, xml('body', {}, 'psst bob')));
    assert.equal((await bob.waitFor('a private message from alice', isMessageWithBody('psst bob'))).attrs.from, `${lobby}/Alice`);

    // IQs across: the room's disco#info, and XEP-0410 self-ping to his own occupant JID
    const info = await bob.iq(xml('iq', { type: 'get', to: lobby }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      info
        .getChild('query')
        ?.getChildren('feature')
        .some((f: XmppElement) => f.attrs.var === MUC),
      'the room says it is a MUC room',
    );
    const ping = await bob.iq(xml('iq', { type: 'get', to: `${lobby}/bob` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(ping.attrs.type, 'result', 'self-ping answered by the room: still joined');

    await bob.send(xml('presence', { to: `${lobby}/bobby` }));
    const renamed = await alice.waitFor('bob renames (303)', unavailableWith(`${lobby}/bob`, '303'));
    assert.equal(renamed.getChild('x', USER)?.getChild('item')?.attrs.nick, 'bobby');
    await alice.waitFor('bobby', presenceFrom(`${lobby}/bobby`));
    assert.ok(codes(await bob.waitFor('bob told of his rename', unavailableWith(`${lobby}/bob`, '303'))).includes('110'));
    await bob.waitFor('bob as bobby', selfPresence(`${lobby}/bobby`));

    const kick = await alice.iq(
      xml(
        'iq',
        { type: 'set', to: lobby },
        xml('query', { xmlns: ADMIN }, xml('item', { nick: 'bobby', role: 'none' }, xml('reason', {}, 'across the border'))),
      ),
    );
    assert.equal(kick.attrs.type, 'result');
    const kicked = await bob.waitFor('bob kicked (307)', unavailableWith(`${lobby}/bobby`, '307'));
    assert.ok(codes(kicked).includes('110'));
    assert.equal(kicked.getChild('x', USER)?.getChild('item')?.getChildText('reason'), 'across the border');
    await carol.waitFor('carol sees the kick', unavailableWith(`${lobby}/bobby`, '307'));

    await bob.send(join(lobby, 'bob'));
    const back = await bob.waitFor('bob back in', (s) => selfPresence(`${lobby}/bob`)(s) && s !== self);
    assert.equal(occupantId(back), occupantId(self), 'the same occupant-id on return (XEP-0421)');
    await bob.send(xml('presence', { to: `${lobby}/bob`, type: 'unavailable' }, xml('status', {}, 'bye for now')));
    assert.ok(codes(await bob.waitFor('bob leaves (110)', unavailableWith(`${lobby}/bob`, '110'))));
    const left = await alice.waitFor(
      'alice sees bob leave',
      (s) => presenceFrom(`${lobby}/bob`, 'unavailable')(s) && s.getChildText('status') === 'bye for now',
    );
    assert.deepEqual(codes(left), [], 'a plain leave, no status code');
  }

  /** Issue 12: a domain the policy does not allow yet: a join of its rooms is refused at once, never a timeout. */
  async joinRefusedByPolicy(): Promise<void> {
    await this.alice.send(join(this.dev, 'alice'));
    const err = await this.alice.waitFor('the join refused', presenceFrom(`${this.dev}/alice`, 'error'));
    assert.ok(err.getChild('error')?.getChild('remote-server-not-found', STANZAS), err.toString());
    assert.equal(err.getChild('error')?.attrs.type, 'cancel');
    assert.ok(!readFileSync(this.prosody.logFile, 'utf8').includes('dev@conference.p.test/alice'), 'nothing reached Prosody');
  }

  /** The admin allows conference.p.test (the policy file): every edge applies it without a restart. */
  async allowProsodyRooms(): Promise<void> {
    const edges = this.glider.processes.filter((p) => readFileSync(p.logFile, 'utf8').includes('federation listening'));
    assert.ok(edges.length > 0);
    this.setPolicy(['p.test', 'conference.p.test']);
    await waitFor(() => edges.every((p) => readFileSync(p.logFile, 'utf8').includes('federation policy changed')), {
      what: 'every edge applied the new policy',
      timeoutMs: 15_000,
    });
  }

  /**
   * alice and carol (Glider) in a Prosody room: creation (201, instant configuration across), bob
   * from Prosody's side, groupchat and private messages both ways, carol leaves (§7.14); alice's client goes away
   * without a word: Glider sends the room her unavailable (RFC 6121 §4.6.3, directed presence).
   */
  async gliderUsersInProsodyRoom(): Promise<void> {
    const { alice, carol, bob, dev } = this;
    await alice.send(join(dev, 'alice'));
    const created = await alice.waitFor('alice creates a Prosody room', selfPresence(`${dev}/alice`), 30_000);
    assert.ok(codes(created).includes('201'), created.toString());
    const cfg = await alice.iq(xml('iq', { type: 'set', to: dev }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
    assert.equal(cfg.attrs.type, 'result');
    await bob.send(join(dev, 'bob'));
    await bob.waitFor('bob in his own server’s room', selfPresence(`${dev}/bob`));
    await bob.waitFor('bob sees alice', presenceFrom(`${dev}/alice`));
    await alice.waitFor('alice sees bob', presenceFrom(`${dev}/bob`));
    await carol.send(join(dev, 'carol'));
    await carol.waitFor('carol in the Prosody room', selfPresence(`${dev}/carol`));
    await bob.waitFor('bob sees carol', presenceFrom(`${dev}/carol`));

    await alice.send(xml('message', { to: dev, type: 'groupchat', id: 'g1' }, xml('body', {}, 'hello from Glider')));
    assert.equal((await bob.waitFor('bob hears alice', isMessageWithBody('hello from Glider'))).attrs.from, `${dev}/alice`);
    assert.equal((await alice.waitFor('alice gets her echo', isMessageWithBody('hello from Glider'))).attrs.id, 'g1');
    await bob.send(xml('message', { to: dev, type: 'groupchat' }, xml('body', {}, 'hello from the Prosody room')));
    for (const c of [alice, carol])
      assert.equal((await c.waitFor('Prosody room talks', isMessageWithBody('hello from the Prosody room'))).attrs.from, `${dev}/bob`);

    await alice.send(xml('message', { to: `${dev}/bob`, type: 'chat' }, xml('body', {}, 'psst bob, from Glider')));
    assert.equal((await bob.waitFor('a private message through the Prosody room', isMessageWithBody('psst bob, from Glider'))).attrs.from, `${dev}/alice`);
    await bob.send(xml('message', { to: `${dev}/alice`, type: 'chat' }, xml('body', {}, 'psst alice, from Prosody')));
    assert.equal((await alice.waitFor('a private message back', isMessageWithBody('psst alice, from Prosody'))).attrs.from, `${dev}/bob`);

    await carol.send(xml('presence', { to: `${dev}/carol`, type: 'unavailable' }));
    await carol.waitFor('carol left (110)', unavailableWith(`${dev}/carol`, '110'));
    await bob.waitFor('bob sees carol leave', presenceFrom(`${dev}/carol`, 'unavailable'));

    await alice.stop(); // no unavailable from the client: the server tells the room
    await bob.waitFor('alice gone from the Prosody room (directed presence, RFC 6121 §4.6.3)', presenceFrom(`${dev}/alice`, 'unavailable'), 30_000);
  }

  /**
   * bob is in the Glider room when his server stops (SIGTERM): Prosody ends his session and tells
   * the room he left (his directed presence), a plain leave. Then it comes back on the same s2s
   * port: Glider connects to it again and bob rejoins.
   */
  async remoteServerStopped(): Promise<void> {
    const { carol, bob, lobby } = this;
    const [bobFrom, carolFrom] = [bob.stanzas.length, carol.stanzas.length];
    await bob.send(join(lobby, 'bob'));
    // bob is in once his own presence came back through Prosody (XEP-0045 §7.2.3), not when carol
    // saw him: stopping Prosody before that raced its shutdown against the room's answer
    await bob.waitFor('bob in, his self-presence through Prosody', (s) => selfPresence(`${lobby}/bob`)(s) && bob.stanzas.indexOf(s) >= bobFrom, 30_000);
    await carol.waitFor('carol sees bob', (s) => presenceFrom(`${lobby}/bob`)(s) && carol.stanzas.indexOf(s) >= carolFrom);
    const leftFrom = carol.stanzas.length;
    await this.prosody.stop();
    await this.bob.stop().catch(() => undefined);
    const left = await carol.waitFor(
      'bob gone with his server',
      (s) => presenceFrom(`${lobby}/bob`, 'unavailable')(s) && carol.stanzas.indexOf(s) >= leftFrom,
      30_000,
    );
    assert.ok(!codes(left).includes('333'), `Prosody said he left: ${left.toString()}`);
    this.prosody = await startProsody({ ...this.prosodyOptions, s2sPort: this.prosody.s2sPort });
    this.bob = await this.client(`xmpp://127.0.0.1:${this.prosody.c2sPort}`, 'bob', 'bob-secret-22', 'p.test');
  }

  /**
   * bob is in the Glider room when his server dies (SIGKILL: no unavailable, the s2s link just
   * breaks). The room's next message to him bounces (`remote-server-not-found`, a failed link): the
   * room removes him with 333 for the others, as Prosody and ejabberd do.
   */
  async remoteServerGone(): Promise<void> {
    const { carol, bob, lobby } = this;
    const [bobFrom, carolFrom] = [bob.stanzas.length, carol.stanzas.length];
    await bob.send(join(lobby, 'bob'));
    await bob.waitFor('bob in again, from the restarted Prosody', (s) => selfPresence(`${lobby}/bob`)(s) && bob.stanzas.indexOf(s) >= bobFrom, 30_000);
    await carol.waitFor('carol sees bob', (s) => presenceFrom(`${lobby}/bob`)(s) && carol.stanzas.indexOf(s) >= carolFrom);
    await this.prosody.kill(); // before bob's client stops: a live Prosody would tell the room he left
    await bob.stop().catch(() => undefined);
    await carol.send(xml('message', { to: lobby, type: 'groupchat' }, xml('body', {}, 'anyone at p.test?')));
    const gone = await carol.waitFor('bob removed (333)', unavailableWith(`${lobby}/bob`, '333'), 30_000);
    assert.equal(gone.getChild('x', USER)?.getChild('item')?.attrs.role, 'none');
  }

  private async client(service: string, user: string, password: string, domain: string): Promise<TestClient> {
    const c = await connect(service, user, password, 'e2e', domain);
    this.clients.push(c);
    await c.send(xml('presence'));
    return c;
  }

  private setPolicy(allow: string[]): void {
    const next = `${this.policyFile}.next`;
    writeFileSync(next, JSON.stringify({ mode: 'allowlist', allow }));
    renameSync(next, this.policyFile);
  }
}
