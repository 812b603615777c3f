import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { ServiceDirectory } from '#libs/addressing';
import { decodeFrame, encodeAck, encodeBatchAck, subjects, type Ack, type BusMessage } from '#libs/bus';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition, type FakeEdge } from '../testing/router-harness.js';

/** A service on the bus as the router sees it: what each request carried, answered now or when released. */
class FakeService {
  /** Each request's stanza ids, in arrival order; a batch is one entry with several. */
  readonly requests: string[][] = [];
  private readonly held: (() => void)[] = [];
  hold = false;
  /** Answers a batch with one plain Ack without handling it, as a consumer that predates batches. */
  ignoresBatches = false;
  /** Stanza ids answered "not taken". */
  readonly refuse = new Set<string>();

  constructor(h: RouterHarness, name: string) {
    for (let p = 0; p < h.config.bus.partitions; p++) h.bus.subscribe(subjects.serviceIn(name, p), (msg) => this.onRequest(msg));
  }

  private onRequest(msg: BusMessage): void {
    const frame = decodeFrame(msg.data);
    const stanzas = frame.batch?.stanzas ?? (frame.stanza ? [frame.stanza] : []);
    const ids = stanzas.map((s) => s.id);
    if (frame.batch && this.ignoresBatches) return msg.respond(encodeAck({ taken: true }));
    this.requests.push(ids);
    const ack = (id: string): Ack => (this.refuse.has(id) ? { taken: false, error: 'refused by the test' } : { taken: true });
    const answer = () => msg.respond(frame.batch ? encodeBatchAck({ acks: ids.map(ack) }) : encodeAck(ack(ids[0]!)));
    if (this.hold) this.held.push(answer);
    else answer();
  }

  /** Answers what is held, and everything after it at once. */
  release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  reset(): void {
    this.release();
    this.requests.length = 0;
    this.ignoresBatches = false;
    this.refuse.clear();
  }
}

/**
 * The router's service lanes (core/service-lanes.ts): a sender's stanzas to another service are
 * not awaited in the router's partition; one request per sender is out at a time, the stanzas for
 * the same subject that came meanwhile go in the next one as a batch to a service that declared
 * `takesBatches`, and anything else done for that sender waits until they were taken.
 */
describe('service lanes', () => {
  let h: RouterHarness;
  let edge: FakeEdge;
  let directory: ServiceDirectory;
  let rooms: FakeService;
  let legacy: FakeService;
  let alice: string;
  let bob: string;
  let carol: string;
  let dave: string;

  before(async () => {
    // one partition: every sender shares the router's one serial queue, so a partition that waited
    // for a service would hold everybody up
    h = await RouterHarness.start({ config: { bus: { partitions: 1, heartbeatMs: 100, requestTimeoutMs: 2000 }, router: { forwardBatchMax: 3 } } });
    edge = h.edge('edge-1');
    rooms = new FakeService(h, 'rooms');
    legacy = new FakeService(h, 'legacy');
    const silent = pino({ level: 'silent' });
    directory = new ServiceDirectory(h.bus, {
      localDomains: h.config.domains,
      partitions: 1,
      heartbeatMs: 100,
      outageGraceMs: h.config.bus.outageGraceMs,
      logger: silent,
    });
    await directory.start();
    await directory.declare('rooms', 'rooms-1', { domains: [`rooms.${DOMAIN}`], takesBatches: true });
    await directory.declare('legacy', 'legacy-1', { domains: [`legacy.${DOMAIN}`] });
    const table = () => h.routers[0]!.runtime.addressing.services();
    await waitFor(() => table().has('rooms') && table().has('legacy'), { what: 'both services in the router table', timeoutMs: 5000 });
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
    carol = await h.createUser('carol');
    dave = await h.createUser('dave');
  });
  after(async () => {
    await directory.stop();
    await h.close();
  });
  beforeEach(async () => {
    edge.clear();
    rooms.reset();
    legacy.reset();
    for (const u of [alice, bob, carol, dave]) for (const s of await h.registry.ofUser(u)) await h.registry.remove(s.jid, s.sessionId);
  });

  const groupchat = (room: string, id: string) => xml('message', { to: room, type: 'groupchat', id }, xml('body', {}, id));
  const chat = (to: string, id: string) => xml('message', { to, type: 'chat', id }, xml('body', {}, id));
  const room = `room@rooms.${DOMAIN}`;
  const taken = (n: number) => Array.from({ length: n }, () => ({ taken: true }));

  test('a sender’s next stanzas go in one batch while its first is out; another sender is not held up', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const c = await edge.bind(`${carol}/pc`);
    rooms.hold = true;
    const fromAlice = edge.sendBatch(a, [groupchat(room, 'a1'), groupchat(room, 'a2'), groupchat(room, 'a3'), groupchat(room, 'a4')]);
    await waitFor(() => rooms.requests.length === 1, { what: 'alice’s first stanza at the service', timeoutMs: 5000 });
    // the router's partition moved on: carol's stanza reaches the service while alice's is unanswered
    const fromCarol = edge.send(c, groupchat(room, 'c1'));
    await waitFor(() => rooms.requests.length === 2, { what: 'carol’s stanza at the service', timeoutMs: 5000 });
    assert.deepEqual(rooms.requests, [['a1'], ['c1']]);
    rooms.release();
    assert.deepEqual(await fromAlice, taken(4));
    assert.deepEqual(await fromCarol, { taken: true });
    // alice's stanzas that came while a1 was out: one batch of forwardBatchMax (3), in order
    assert.deepEqual(rooms.requests, [['a1'], ['c1'], ['a2', 'a3', 'a4']]);
  });

  test('a batch to a service carries at most BATCH_XML_BYTES of XML: the stanza that would pass it goes in the next request', async () => {
    const a = await edge.bind(`${alice}/pc`);
    rooms.hold = true;
    // 100 KiB each: two fit in 256 KiB, three (forwardBatchMax) would not
    const big = (id: string) => xml('message', { to: room, type: 'groupchat', id }, xml('body', {}, 'x'.repeat(100 * 1024)));
    const sent = edge.sendBatch(a, [big('x1'), big('x2'), big('x3'), big('x4')]);
    await waitFor(() => rooms.requests.length === 1, { what: 'x1 at the service', timeoutMs: 5000 });
    // the router routed the whole batch: x2–x4 wait on alice's lane
    await waitFor(() => h.routers[0]!.runtime.backlog().settling === 1, { what: 'the batch routed', timeoutMs: 5000 });
    rooms.release();
    assert.deepEqual(await sent, taken(4));
    assert.deepEqual(rooms.requests, [['x1'], ['x2', 'x3'], ['x4']]);
  });

  test('what else the sender routes waits until its stanzas before were taken', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const b = await edge.bind(`${bob}/pc`);
    const c = await edge.bind(`${carol}/pc`);
    const d = await edge.bind(`${dave}/pc`);
    rooms.hold = true;
    const fromAlice = edge.sendBatch(a, [groupchat(room, 'g1'), chat(bob, 'b1')]);
    await waitFor(() => rooms.requests.length === 1, { what: 'g1 at the service', timeoutMs: 5000 });
    const fromCarol = edge.send(c, chat(dave, 'd1'));
    // b1 waits for g1's Ack, and the partition with it: carol's frame is queued behind
    await waitFor(() => h.routers[0]!.runtime.backlog().waiting === 1, { what: 'carol’s frame waiting in the partition', timeoutMs: 5000 });
    assert.equal(edge.for(b).length, 0);
    assert.equal(edge.for(d).length, 0);
    rooms.release();
    assert.deepEqual(await fromAlice, taken(2));
    assert.deepEqual(await fromCarol, { taken: true });
    await h.delivered();
    assert.deepEqual(
      edge.for(b).map((m) => m.attrs.id),
      ['b1'],
    );
    assert.deepEqual(
      edge.for(d).map((m) => m.attrs.id),
      ['d1'],
    );
  });

  test('to a service that did not declare takesBatches: one stanza per request, in order', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const ids = ['l1', 'l2', 'l3', 'l4'];
    const acks = await edge.sendBatch(
      a,
      ids.map((id) => groupchat(`x@legacy.${DOMAIN}`, id)),
    );
    assert.deepEqual(acks, taken(4));
    assert.deepEqual(
      legacy.requests,
      ids.map((id) => [id]),
    );
  });

  test('a service that answers a batch with a plain Ack gets those stanzas again one by one', async () => {
    const a = await edge.bind(`${alice}/pc`);
    rooms.hold = true;
    rooms.ignoresBatches = true;
    const sent = edge.sendBatch(a, [groupchat(room, 'u1'), groupchat(room, 'u2'), groupchat(room, 'u3')]);
    await waitFor(() => rooms.requests.length === 1, { what: 'u1 at the service', timeoutMs: 5000 });
    rooms.release();
    assert.deepEqual(await sent, taken(3));
    assert.deepEqual(rooms.requests, [['u1'], ['u2'], ['u3']]);
  });

  test('presence the service did not take fails its frame (no bounce for presence), as when the router waited', async () => {
    // from another domain (no client session): straight to the room's service, no presence service first
    rooms.refuse.add('p1');
    const ack = await h.request(xml('presence', { from: 'romeo@elsewhere.example/x', to: `${room}/romeo`, id: 'p1' }));
    assert.equal(ack.taken, false);
    assert.match(ack.error ?? '', /did not take the stanza: refused by the test/);
    assert.deepEqual(rooms.requests, [['p1']]);
  });

  test('a stanza of a batch the service did not take is bounced to its sender; the rest are taken', async () => {
    const a = await edge.bind(`${alice}/pc`);
    rooms.hold = true;
    rooms.refuse.add('r2');
    const sent = edge.sendBatch(a, [groupchat(room, 'r1'), groupchat(room, 'r2'), groupchat(room, 'r3')]);
    await waitFor(() => rooms.requests.length === 1, { what: 'r1 at the service', timeoutMs: 5000 });
    rooms.release();
    assert.deepEqual(await sent, taken(3));
    assert.deepEqual(rooms.requests, [['r1'], ['r2', 'r3']]);
    await h.delivered();
    const errors = edge.for(a).filter((m) => m.attrs.type === 'error');
    assert.deepEqual(
      errors.map((m) => [m.attrs.id, errorCondition(m)]),
      [['r2', 'internal-server-error']],
    );
  });
});
