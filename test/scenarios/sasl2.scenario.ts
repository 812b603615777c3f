import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { client as xmppClient, xml, type Client, type XmlElement } from '@xmpp/client';
import { startCluster, type Cluster } from '../harness/cluster.js';
import { startMongoServer, type MongoServer } from '../harness/mongodb.js';
import { addUser, gliderctl } from '../harness/gliderctl.js';
import { CLIENT_STEP_TIMEOUT_MS, stopReconnecting, trustCertificate } from '../harness/xmpp-client.js';

const SASL2 = 'urn:xmpp:sasl:2';
const SM = 'urn:xmpp:sm:3';

interface FastToken {
  mechanism: string;
  token: string;
  expiry: string;
}
interface Fast {
  fetchToken(): Promise<FastToken | undefined>;
}
interface Sm {
  id: string;
  enabled: boolean;
  on(event: 'resumed', fn: () => void): void;
}

/** An xmpp.js 0.14 client that records what it sends and receives (to see which SASL profile ran). */
interface Recorded {
  xmpp: Client;
  sent: XmlElement[];
  received: XmlElement[];
  stanzas: XmlElement[];
  waitFor(what: string, match: (s: XmlElement) => boolean): Promise<XmlElement>;
}

/**
 * XEP-0388 SASL2, XEP-0386 Bind2 and XEP-0484 FAST with xmpp.js 0.14 (@xmpp/sasl2, @xmpp/client-core
 * bind2 and fast, @xmpp/sasl-ht-sha-256-none, @xmpp/stream-management inline) against a real cluster
 * (nats-server, router, presence, three edges as processes). xmpp.js implements HT-SHA-256-NONE
 * only (no channel-bound HT), and sends no <fast count/> (it does no TLS 0-RTT): the channel-bound
 * mechanisms and the replay counter are covered by the edge's own tests (fast.spec.ts).
 */
/** The suite on one storage backend; on MongoDB only what touches storage (the token flow) runs. */
export function sasl2Scenario(storage: 'embedded' | 'mongodb'): void {
  describe(`SASL2, Bind2 and FAST with xmpp.js (${storage} storage)`, () => {
    let c: Cluster;
    let mongo: MongoServer | undefined;
    const clients: Recorded[] = [];
    /** On MongoDB only what touches storage runs again: the token flow. */
    const every = (name: string, fn: () => Promise<void>): void => {
      if (storage === 'embedded') void it(name, fn);
    };
    before(async () => {
      if (storage === 'mongodb') mongo = await startMongoServer();
      const onMongo: Record<string, string> = mongo
        ? { GLIDER_STORAGE__KIND: 'mongodb', GLIDER_STORAGE__MONGODB__URL: mongo.url, GLIDER_STORAGE__MONGODB__DATABASE: mongo.database }
        : {};
      c = await startCluster({
        edges: 3,
        routers: 1,
        env: {
          GLIDER_BUS__HEARTBEAT_MS: '500',
          GLIDER_EDGE__SASL2__ENABLED: 'true',
          GLIDER_EDGE__SM__ENABLED: 'true',
          GLIDER_EDGE__SM__RESUME_TIMEOUT_SEC: '60',
          ...onMongo,
        },
      });
      trustCertificate(c.certPem());
      for (const u of ['ann', 'ben', 'cat', 'dan']) await addUser(`${u}@localhost`, `${u}-password`, c.adminPort);
    });
    after(async () => {
      for (const cl of clients) {
        stopReconnecting(cl.xmpp);
        await cl.xmpp.stop().catch(() => {});
      }
      await c?.stop();
      await mongo?.stop();
    });

    const service = (edge: number): string => {
      const e = c.edges[edge - 1]!;
      return `xmpp://${e.host}:${e.c2sPort}`;
    };
    const make = (edge: number, user: string, opts: { password?: string; token?: FastToken; ua?: string; resource?: string } = {}): Recorded => {
      const xmpp = xmppClient({
        service: service(edge),
        domain: 'localhost',
        resource: opts.resource ?? 'Probe',
        userAgent: xml('user-agent', { id: opts.ua ?? randomUUID() }, xml('software', {}, 'glider-e2e')),
        credentials: { username: user, password: opts.password ?? `${user}-password`, ...(opts.token ? { token: opts.token } : {}) },
        timeout: CLIENT_STEP_TIMEOUT_MS,
      });
      const waiters = new Set<{ match: (s: XmlElement) => boolean; resolve: (s: XmlElement) => void }>();
      const rec: Recorded = {
        xmpp,
        sent: [],
        received: [],
        stanzas: [],
        waitFor: (what, match) =>
          new Promise((resolve, reject) => {
            const seen = rec.stanzas.find(match);
            if (seen) return resolve(seen);
            const waiter = { match, resolve: (s: XmlElement) => (clearTimeout(timer), resolve(s)) };
            const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`${user} waited for ${what}`))), 15_000);
            waiters.add(waiter);
          }),
      };
      xmpp.on('stanza', (s: XmlElement) => {
        for (const w of waiters) {
          if (w.match(s)) {
            waiters.delete(w);
            w.resolve(s);
          }
        }
      });
      xmpp.on('error', () => {});
      xmpp.on('send', (el: XmlElement) => rec.sent.push(el));
      xmpp.on('element', (el: XmlElement) => rec.received.push(el));
      xmpp.on('stanza', (s: XmlElement) => rec.stanzas.push(s));
      clients.push(rec);
      return rec;
    };
    const authenticates = (r: Recorded) => r.sent.filter((e) => e.is('authenticate', SASL2));
    const fastOf = (r: Recorded): Fast => (r.xmpp as unknown as { fast: Fast }).fast;
    const smOf = (r: Recorded): Sm => (r.xmpp as unknown as { streamManagement: Sm }).streamManagement;

    every('logs in with SASL2 and Bind2: one round trip to a bound session named <tag>/<id>', async () => {
      const ann = make(1, 'ann');
      const address = await ann.xmpp.start();
      assert.match(address.toString(), /^ann@localhost\/Probe\/[A-Za-z0-9_-]{12}$/);
      const [auth] = authenticates(ann);
      assert.ok(auth?.getChild('bind', 'urn:xmpp:bind:0'), 'Bind2 inside <authenticate/>');
      assert.ok(auth?.getChild('request-token', 'urn:xmpp:fast:0'), 'xmpp.js asks for a FAST token');
      assert.ok(!ann.sent.some((e) => e.is('iq') && e.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind')), 'no legacy bind');
      const pong = await ann.xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 15_000);
      assert.equal(pong.attrs.type, 'result');
    });

    it('gets a FAST token and reconnects with it alone (HT-SHA-256-NONE), on another edge; a revoked token falls back to the password', async () => {
      const ua = randomUUID();
      const ben = make(1, 'ben', { ua });
      await ben.xmpp.start();
      const token = await fastOf(ben).fetchToken();
      assert.ok(token?.token, 'a token in <success/>');
      assert.equal(token.mechanism, 'HT-SHA-256-NONE');
      await ben.xmpp.stop();

      const again = make(2, 'ben', { ua, token, password: 'not-the-password' });
      const address = await again.xmpp.start();
      assert.match(address.toString(), /^ben@localhost\/Probe\//);
      assert.deepEqual(
        authenticates(again).map((a) => a.attrs.mechanism),
        ['HT-SHA-256-NONE'],
        'the token alone logged in (the password given is wrong)',
      );
      await again.xmpp.stop();

      const listed = await gliderctl(['user', 'tokens', 'ben@localhost'], { adminPort: c.adminPort });
      assert.match(listed.stdout, new RegExp(`^${ua} HT-SHA-256-NONE `, 'm'));
      const revoked = await gliderctl(['user', 'revoke-tokens', 'ben@localhost', ua], { adminPort: c.adminPort });
      assert.equal(revoked.stdout, 'revoked the FAST tokens of 1 client(s) of ben@localhost\n');
      const third = make(3, 'ben', { ua, token });
      await third.xmpp.start();
      const failure = third.received.find((e) => e.is('failure', SASL2));
      assert.ok(failure?.getChild('not-authorized', 'urn:ietf:params:xml:ns:xmpp-sasl'), 'the revoked token is refused');
      assert.deepEqual(
        authenticates(third).map((a) => a.attrs.mechanism),
        ['HT-SHA-256-NONE', 'SCRAM-SHA-1'],
        'xmpp.js falls back to its password and asks for a new token',
      );
      assert.ok((await fastOf(third).fetchToken())?.token, 'a new token');
    });

    every('a wrong token is refused with <not-authorized/> and the password still works', async () => {
      const cat = make(1, 'cat', { token: { mechanism: 'HT-SHA-256-NONE', token: 'x'.repeat(88), expiry: new Date(Date.now() + 3_600_000).toISOString() } });
      await cat.xmpp.start();
      assert.ok(cat.received.find((e) => e.is('failure', SASL2))?.getChild('not-authorized', 'urn:ietf:params:xml:ns:xmpp-sasl'));
      assert.equal(authenticates(cat).at(-1)?.attrs.mechanism, 'SCRAM-SHA-1');
    });

    every('inline SM: enabled through Bind2; its edge SIGKILLed, the session resumes inside SASL2 on another edge with every message', async () => {
      const dan = make(3, 'dan', { resource: 'Phone' });
      await dan.xmpp.start();
      await dan.xmpp.send(xml('presence'));
      await dan.xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 15_000);
      const sm = smOf(dan);
      assert.ok(sm.enabled && sm.id, 'stream management enabled inside Bind2');
      assert.ok(authenticates(dan)[0]?.getChild('bind', 'urn:xmpp:bind:0')?.getChild('enable', SM), '<enable/> inside <bind/>');
      const id = sm.id;
      const full = dan.xmpp.jid!.toString();

      const ann = make(1, 'ann');
      await ann.xmpp.start();
      const send = async (prefix: string, n: number) => {
        const bodies = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
        for (const b of bodies) await ann.xmpp.send(xml('message', { to: full, type: 'chat', id: b }, xml('body', {}, b)));
        await ann.xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 15_000);
        return bodies;
      };
      const isBody = (b: string) => (s: XmlElement) => s.is('message') && s.getChildText('body') === b;
      const before = await send('b', 5);
      for (const b of before) await dan.waitFor(b, isBody(b));
      const resumed = new Promise<void>((resolve) => sm.on('resumed', resolve));
      (dan.xmpp as unknown as { options: { service: string } }).options.service = service(2);
      await c.byRole('edge-3')[0]!.stop('SIGKILL');
      const during = await send('d', 10);
      await resumed;
      assert.equal(sm.id, id, 'the same session');
      const resume = authenticates(dan).at(-1)?.getChild('resume', SM);
      assert.equal(resume?.attrs.previd, id, '<resume/> inside <authenticate/>');
      assert.equal(dan.xmpp.jid!.toString(), full, 'the same resource');
      for (const b of during) await dan.waitFor(b, isBody(b));
      const bodies = dan.stanzas.filter((s) => s.is('message') && s.attrs.type === 'chat').map((s) => s.getChildText('body'));
      const once = bodies.filter((b, i) => i === 0 || b !== bodies[i - 1]);
      assert.deepEqual(once, [...before, ...during], 'every message, in order');
      assert.ok(bodies.length - once.length <= 1, `at most one re-sent at the cut: ${bodies.join(' ')}`);
    });
  });
}
