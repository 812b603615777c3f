import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '#libs/testing';
import { xml as rawXml } from '#libs/xml';
import { RawClient } from '../apps/edge/src/testing/raw-client.js';
import { startCluster, type Cluster } from './harness/cluster.js';
import { repoRoot } from './harness/paths.js';
import { TcpGate } from './harness/tcp-gate.js';
import { addUser } from './harness/gliderctl.js';
import { connect, isMessageWithBody, isPresence, trustCertificate, xml, type TestClient, type XmppElement } from './harness/xmpp-client.js';

interface Sm {
  id: string;
  enabled: boolean;
  preferredMaximum: number | null;
  on(event: 'resumed', fn: () => void): void;
}
const smOf = (c: TestClient): Sm => (c.xmpp as unknown as { streamManagement: Sm }).streamManagement;
const resumedOnce = (c: TestClient): Promise<void> => new Promise((resolve) => smOf(c).on('resumed', resolve));
const chatBodies = (c: TestClient): string[] =>
  c.stanzas.filter((s: XmppElement) => s.is('message') && s.attrs.type === 'chat').map((s) => s.getChildText('body') ?? '');

/**
 * What a client got, checked against what was sent: nothing lost, nothing out of order, and at most
 * one stanza twice — the one at the cut. xmpp.js 0.14 starts its inbound count when its <enable/>
 * promise settles, after it has already handled a stanza that followed <enabled/> in the same read,
 * so its `h` can be one short and the server rightly re-sends the last stanza it cannot know arrived
 * (XEP-0198 §5 allows that; a loss it does not).
 */
function assertDelivered(got: string[], sent: string[]): void {
  const once = got.filter((b, i) => i === 0 || b !== got[i - 1]);
  assert.deepEqual(once, sent, 'every message, in order');
  assert.ok(got.length - once.length <= 1, `at most one re-sent at the cut, got: ${got.join(' ')}`);
}

/**
 * XEP-0198 resumption on a real cluster (nats-server, a router, presence, four edges as processes)
 * with xmpp.js (`@xmpp/stream-management`) and slixmpp (`xep_0198`, behind a TCP load balancer): the session of an edge that was SIGKILLed or drained
 * resumes on another edge with nothing lost, and a session that is never resumed times out into
 * offline storage, in order.
 */
describe('stream management: resumption on any edge', () => {
  let c: Cluster;
  const clients: TestClient[] = [];
  before(async () => {
    c = await startCluster({
      edges: 5,
      routers: 1,
      logLevel: 'info',
      env: {
        GLIDER_BUS__HEARTBEAT_MS: '500',
        GLIDER_EDGE__SM__ENABLED: 'true',
        GLIDER_EDGE__SM__REAP_INTERVAL_MS: '300',
        // Long enough for a resume on a busy machine, short enough for the timeout case.
        GLIDER_EDGE__SM__RESUME_TIMEOUT_SEC: '15',
        GLIDER_EDGE__DRAIN_TIMEOUT_MS: '20000',
      },
    });
    trustCertificate(c.certPem());
    for (const u of ['sam', 'rita', 'tia', 'uma', 'vic', 'wes', 'xen', 'yan', 'zoe', 'abe', 'bea'])
      await addUser(`${u}@localhost`, `${u}-password`, c.adminPort);
  });
  after(async () => {
    for (const cl of clients) await cl.stop();
    await c?.stop();
  });

  const service = (edge: number): string => {
    const e = c.edges[edge - 1]!;
    return `xmpp://${e.host}:${e.c2sPort}`;
  };
  const on = async (edge: number, user: string, resource: string): Promise<TestClient> => {
    const cl = await connect(service(edge), user, `${user}-password`, resource);
    clients.push(cl);
    await cl.send(xml('presence'));
    // <enabled/> comes before the answer to anything sent after it: stream management is on after this.
    await cl.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.ok(smOf(cl).enabled && smOf(cl).id, `xmpp.js enabled stream management with resumption for ${user}`);
    return cl;
  };
  const redirect = (cl: TestClient, edge: number): void => {
    (cl.xmpp as unknown as { options: { service: string } }).options.service = service(edge); // its next connection
  };
  const sendNumbered = async (from: TestClient, to: string, prefix: string, n: number): Promise<string[]> => {
    const bodies = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    for (const b of bodies) await from.send(xml('message', { to, type: 'chat', id: b }, xml('body', {}, b)));
    // Answered only after every message before it was taken by the router (delivered, held, stored or bounced).
    await from.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    return bodies;
  };

  it('an edge SIGKILLed under a session: the client resumes on another edge and gets every message once, in order', async () => {
    const sam = await on(1, 'sam', 'pc');
    const rita = await on(3, 'rita', 'phone');
    const id = smOf(rita).id;
    const before = await sendNumbered(sam, rita.jid, 'k', 10);
    for (const b of before) await rita.waitFor(b, isMessageWithBody(b));
    const resumed = resumedOnce(rita);
    redirect(rita, 2);
    await c.byRole('edge-3')[0]!.stop('SIGKILL');
    const during = await sendNumbered(sam, rita.jid, 'd', 20);
    await resumed;
    assert.equal(smOf(rita).id, id, 'the same session, resumed (not a new one)');
    const afterwards = await sendNumbered(sam, rita.jid, 'a', 5);
    for (const b of afterwards) await rita.waitFor(b, isMessageWithBody(b));
    assertDelivered(chatBodies(rita), [...before, ...during, ...afterwards]);
    assert.equal(sam.stanzas.filter((s) => s.is('message') && s.attrs.type === 'error').length, 0, 'nothing bounced');
  });

  it('a resume on another edge while the old connection is still open: the old stream ends with <conflict/> and writes nothing more', async () => {
    const SM = 'urn:xmpp:sm:3';
    const sam = await on(1, 'sam', 'fence');
    const open = async (edge: number): Promise<RawClient> => {
      const e = c.edges[edge - 1]!;
      const raw = await RawClient.connect({ host: e.host, port: e.c2sPort, mode: 'tcp' });
      return raw;
    };
    const a = await open(1);
    await a.login('localhost', 'bea', 'bea-password', 'tab');
    a.send(rawXml('enable', { xmlns: SM, resume: 'true' }));
    const enabled = await a.element();
    assert.equal(enabled.name, 'enabled', String(enabled));
    const previd = enabled.attrs.id!;
    // A second connection (the phone switched networks; the old TCP connection looks alive) resumes on edge 2.
    const b = await open(2);
    await b.open('localhost');
    await b.starttls();
    await b.open('localhost');
    assert.equal((await b.scram('bea', 'bea-password', 'SCRAM-SHA-256')).name, 'success');
    await b.open('localhost');
    b.send(rawXml('resume', { xmlns: SM, previd, h: '0' }));
    const resumed = await b.element();
    assert.equal(resumed.name, 'resumed', String(resumed));
    assert.equal(await a.streamError(), 'conflict', 'the old stream was told, on edge 1');
    await sam.send(xml('message', { to: 'bea@localhost/tab', type: 'chat', id: 'after' }, xml('body', {}, 'after')));
    let got: string | undefined;
    while (!got) {
      const el = await b.element();
      if (el.name === 'message') got = el.getChildText('body') ?? '';
      else if (el.name === 'r') b.send(rawXml('a', { xmlns: SM, h: '0' }));
    }
    assert.equal(got, 'after', 'the resumed stream on edge 2 receives');
    a.close();
    b.close();
  });

  it('an edge drained (SIGTERM) closes resumable streams at once; they resume elsewhere with nothing lost', async () => {
    const uma = await on(1, 'uma', 'pc');
    const vic = await on(2, 'vic', 'phone');
    const id = smOf(vic).id;
    const resumed = resumedOnce(vic);
    redirect(vic, 1);
    const first = await sendNumbered(uma, vic.jid, 'x', 10);
    const stopping = c.byRole('edge-2')[0]!.stop('SIGTERM');
    const second = await sendNumbered(uma, vic.jid, 'y', 10);
    await resumed;
    assert.equal(smOf(vic).id, id, 'the same session, resumed');
    await stopping;
    for (const b of [...first, ...second]) await vic.waitFor(b, isMessageWithBody(b));
    assertDelivered(chatBodies(vic), [...first, ...second]);
  });

  it('a detached session that is never resumed times out: presence says unavailable, its messages wait offline in order', async () => {
    const wes = await on(1, 'wes', 'pc');
    const tia = await on(1, 'tia', 'phone');
    await wes.send(xml('presence', { to: 'tia@localhost', type: 'subscribe' }));
    await tia.waitFor('subscribe', isPresence('wes@localhost', 'subscribe'));
    await tia.send(xml('presence', { to: 'wes@localhost', type: 'subscribed' }));
    await wes.waitFor('tia available', isPresence('tia@localhost', undefined));
    const sent = await sendNumbered(wes, tia.jid, 't', 5);
    for (const b of sent) await tia.waitFor(b, isMessageWithBody(b));
    // The connection is lost and the client never comes back (no reconnect, no close).
    (tia.xmpp as unknown as { reconnect: { stop(): void } }).reconnect.stop();
    const held = await sendNumbered(wes, tia.jid, 'h', 5);
    const socket = (tia.xmpp as unknown as { socket: { socket?: { destroy(): void }; destroy?(): void } }).socket;
    (socket.socket ?? (socket as { destroy(): void })).destroy();
    const later = await sendNumbered(wes, tia.jid, 'l', 5);
    // The session lives on (detached) until its timeout; then presence hears it ended.
    await wes.waitFor('tia unavailable after the timeout', isPresence('tia@localhost', 'unavailable'), 30_000);
    const back = await connect(service(1), 'tia', 'tia-password', 'laptop');
    clients.push(back);
    await back.send(xml('presence'));
    for (const b of later) await back.waitFor(`${b} from offline storage`, isMessageWithBody(b));
    const got = chatBodies(back);
    // What the phone acknowledged is not stored again; what it had not (some of the first series
    // maybe) is, then everything sent after the connection was lost: in the order sent, once.
    const all = [...sent, ...held, ...later];
    const at = got.map((b) => all.indexOf(b));
    assert.ok(
      at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)),
      `in order, once: ${got.join(' ')}`,
    );
    assert.equal(wes.stanzas.filter((s) => s.is('message') && s.attrs.type === 'error').length, 0, 'nothing bounced');
  });

  it('slixmpp (xep_0198) behind a load balancer: its edge is SIGKILLed, it resumes on another with every message', async () => {
    const xen = await on(1, 'xen', 'pc');
    let target = c.edges[3]!.c2sPort; // edge-4, until it dies
    const gate = await TcpGate.start(() => target);
    const dir = mkdtempSync(join(tmpdir(), 'glider-slix-sm-'));
    writeFileSync(join(dir, 'ca.pem'), c.certPem());
    const first = 10;
    const second = 20;
    const py = spawn('/usr/bin/python3', [
      join(repoRoot, 'test/clients/slix_sm.py'),
      ...['--jid', 'yan@localhost/phone', '--password', 'yan-password', '--port', String(gate.port), '--ca', join(dir, 'ca.pem')],
      ...['--expect-count', String(first + second), '--timeout', '90'],
    ]);
    const lines = createInterface({ input: py.stdout });
    const results: string[] = [];
    let stderr = '';
    py.stderr.on('data', (d) => (stderr += d));
    const ready = new Promise<void>((resolve, reject) => {
      lines.on('line', (l) => (l.includes('"ready"') ? resolve() : results.push(l)));
      py.once('exit', (code) => reject(new Error(`slixmpp exited (${code}) before it was ready: ${stderr.slice(-2000)}`)));
    });
    const exited = new Promise<number | null>((resolve) => py.once('exit', resolve));
    try {
      await ready;
      await xen.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      const before = await sendNumbered(xen, 'yan@localhost/phone', 'p', first);
      target = c.edges[0]!.c2sPort; // the balancer sends new connections to edge-1
      await c.byRole('edge-4')[0]!.stop('SIGKILL');
      const during = await sendNumbered(xen, 'yan@localhost/phone', 'q', second);
      const code = await exited;
      const out = JSON.parse(results.at(-1) ?? '{}') as { ok?: boolean; bodies?: string[]; resumed?: number; enabled?: number };
      assert.equal(code, 0, `slixmpp: ${JSON.stringify(out)} ${stderr.slice(-2000)}`);
      assert.ok((out.resumed ?? 0) >= 1, 'slixmpp resumed its session');
      assert.equal(out.enabled, 1, 'stream management was never started afresh');
      assertDelivered(out.bodies ?? [], [...before, ...during]);
    } finally {
      py.kill('SIGKILL');
      await gate.stop();
    }
  });

  it('a client back only after the dead-edge sweep still resumes: the router detached its session instead of ending it', async () => {
    const abe = await on(1, 'abe', 'pc');
    await abe.send(xml('presence', { to: 'zoe@localhost', type: 'subscribe' }));
    const zoe = await on(5, 'zoe', 'phone');
    await zoe.waitFor('subscribe', isPresence('abe@localhost', 'subscribe'));
    await zoe.send(xml('presence', { to: 'abe@localhost', type: 'subscribed' }));
    await abe.waitFor('zoe available', isPresence('zoe@localhost', undefined));
    const id = smOf(zoe).id;
    const reconnect = (zoe.xmpp as unknown as { reconnect: { stop(): void; reconnect(): Promise<void> } }).reconnect;
    reconnect.stop(); // this client comes back when the test says so
    await c.byRole('edge-5')[0]!.stop('SIGKILL');
    const routerLogs = c.byRole('router-1').map((p) => p.logFile);
    await waitFor(() => routerLogs.some((f) => readFileSync(f, 'utf8').includes('resumable session of a dead edge detached')), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: "the router's dead-edge sweep to detach zoe's session",
    });
    const held = await sendNumbered(abe, zoe.jid, 'z', 10);
    redirect(zoe, 1);
    const resumed = resumedOnce(zoe);
    await reconnect.reconnect();
    await resumed;
    assert.equal(smOf(zoe).id, id, 'the same session');
    for (const b of held) await zoe.waitFor(b, isMessageWithBody(b));
    assertDelivered(chatBodies(zoe), held);
    assert.ok(!abe.stanzas.some(isPresence('zoe@localhost', 'unavailable')), 'presence never said zoe left');
  });
});
