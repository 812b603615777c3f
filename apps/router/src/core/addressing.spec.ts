import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ServiceDirectory } from '#libs/addressing';
import { decodeFrame, encodeAck, partitionOf, subjects, type Frame } from '#libs/bus';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition, type FakeEdge } from '../testing/router-harness.js';

const silent = { error: () => undefined };

/**
 * The router carries out what the addressing table says: services come and go by declaring
 * themselves on the bus (no router edit), and an address nobody serves is answered with its RFC
 * error at once, never left to time out.
 */
describe('routing by the addressing table', () => {
  let h: RouterHarness;
  let edge: FakeEdge;
  let alice: string;
  let other: ServiceDirectory;
  /** Frames each declared test service took, by service name. */
  const took = new Map<string, { subject: string; frame: Frame }[]>();
  const settle = () => h.delivered();

  /** A service as a real one would be: partition subjects subscribed, a declaration on the bus. */
  function serve(service: string): void {
    took.set(service, []);
    for (let p = 0; p < h.config.bus.partitions; p++) {
      h.bus.subscribe(subjects.serviceIn(service, p), (msg) => {
        took.get(service)!.push({ subject: msg.subject, frame: decodeFrame(msg.data) });
        msg.respond(encodeAck({ taken: true }));
      });
    }
  }

  before(async () => {
    h = await RouterHarness.start();
    edge = h.edge();
    alice = await h.createUser('alice');
    other = new ServiceDirectory(h.bus, {
      localDomains: h.config.domains,
      partitions: h.config.bus.partitions,
      heartbeatMs: h.config.bus.heartbeatMs,
      outageGraceMs: h.config.bus.outageGraceMs,
      logger: silent,
    });
    await other.start();
    serve('muc');
    serve('s2s');
  });
  after(async () => {
    await other.stop();
    await h.close();
  });
  beforeEach(() => {
    edge.clear();
    for (const list of took.values()) list.length = 0;
  });

  test('an IQ get or set nobody serves, to the server or to an account → service-unavailable (RFC 6120 §8.4)', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const bob = await h.createUser('bob');
    for (const [to, type] of [
      [DOMAIN, 'get'],
      [DOMAIN, 'set'],
      [bob, 'get'],
      [bob, 'set'],
      [alice, 'set'],
    ] as const) {
      const answer = await edge.ask(a, xml('iq', { to, type }, xml('query', { xmlns: 'urn:example:nobody-serves-this' })));
      assert.equal(answer.attrs.type, 'error', `${type} to ${to}`);
      assert.equal(errorCondition(answer), 'service-unavailable', `${type} to ${to}`);
      assert.equal(answer.attrs.from, to);
    }
  });

  test('a service that declares a domain gets every stanza to it, on the partition of the room; gone → remote-server-not-found', async () => {
    const a = await edge.bind(`${alice}/pc`);
    const room = 'lounge@conference.example.com';
    await other.declare('muc', 'muc-1', { domains: ['conference.example.com'], discoFeatures: ['http://jabber.org/protocol/muc'] });
    const ack = await edge.send(a, xml('message', { to: room, type: 'groupchat', id: 'g1' }, xml('body', {}, 'hi')));
    assert.deepEqual(ack, { taken: true }, 'acked once the service took it');
    await edge.send(a, xml('iq', { to: `${room}/nick`, type: 'get', id: 'q1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const got = took.get('muc')!;
    assert.deepEqual(
      got.map((t) => t.frame.stanza?.id),
      ['g1', 'q1'],
    );
    assert.ok(got.every((t) => t.subject === subjects.serviceIn('muc', partitionOf(room, h.config.bus.partitions))));
    const disco = await edge.ask(a, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      disco
        .getChild('query')
        ?.getChildren('feature')
        .some((f) => f.attrs.var === 'http://jabber.org/protocol/muc'),
      "its disco feature is the server's while it runs",
    );

    await other.withdraw('muc', 'muc-1');
    await edge.send(a, xml('message', { to: room, type: 'groupchat', id: 'g2' }, xml('body', {}, 'anyone?')));
    const err = (await edge.waitFor(a, 2)).find((e) => e.attrs.id === 'g2');
    assert.equal(err && errorCondition(err), 'remote-server-not-found');
    assert.equal(got.length, 2, 'nothing more went to the withdrawn service');
  });

  test('a service that declares remote domains (s2s) gets what is for other domains, by domain', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await other.declare('s2s', 's2s-1', { remoteDomains: true });
    try {
      await edge.send(a, xml('message', { to: 'carol@elsewhere.org', type: 'chat', id: 'r1' }, xml('body', {}, 'x')));
      const [t] = took.get('s2s')!;
      assert.equal(t?.frame.stanza?.id, 'r1');
      assert.equal(t?.subject, subjects.serviceIn('s2s', partitionOf('elsewhere.org', h.config.bus.partitions)));
      assert.equal(edge.for(a).length, 0, 'no bounce');
    } finally {
      await other.withdraw('s2s', 's2s-1');
    }
  });

  test('the presence service gone: roster IQs and presence are refused at once, not timed out', async () => {
    const a = await edge.bind(`${alice}/pc`);
    await h.presenceDirectory.withdraw('presence', 'presence-fake');
    try {
      h.toPresence.length = 0;
      const roster = await edge.ask(a, xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      assert.equal(errorCondition(roster), 'service-unavailable');
      await edge.send(a, xml('presence', { to: `${alice}`, type: 'subscribe', id: 'p1' }));
      await settle();
      const bounced = edge.for(a).find((e) => e.attrs.id === 'p1');
      assert.equal(bounced && errorCondition(bounced), 'service-unavailable');
      assert.equal(h.toPresence.length, 0);
    } finally {
      await h.presenceDirectory.declare('presence', 'presence-fake', { accountPresence: true, accountIq: [{ ns: 'jabber:iq:roster', ownOnly: true }] });
    }
  });
});
