import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ServiceDirectory } from '#libs/addressing';
import { decodeFrame, encodeAck, partitionOf, subjects, type StanzaEnvelope } from '#libs/bus';
import { xml } from '#libs/xml';
import { DOMAIN, PresenceHarness } from '../../testing/presence-harness.js';

const silent = { error: () => undefined };

/**
 * Presence goes where the addressing table says, like everything else: a service declared on the
 * bus (a MUC here) gets the presence addressed to its domain from the presence service directly,
 * after the sender's side ran (RFC 6121 §4.6 directed presence); no presence code knows about it.
 */
describe('presence routed by the addressing table', () => {
  let h: PresenceHarness;
  let muc: ServiceDirectory;
  const took: { subject: string; stanza: StanzaEnvelope }[] = [];

  before(async () => {
    h = await PresenceHarness.start();
    for (let p = 0; p < h.config.bus.partitions; p++) {
      h.bus.subscribe(subjects.serviceIn('muc', p), (msg) => {
        took.push({ subject: msg.subject, stanza: decodeFrame(msg.data).stanza! });
        msg.respond(encodeAck({ taken: true }));
      });
    }
    muc = new ServiceDirectory(h.bus, {
      localDomains: [DOMAIN],
      partitions: h.config.bus.partitions,
      heartbeatMs: h.config.bus.heartbeatMs,
      outageGraceMs: h.config.bus.outageGraceMs,
      logger: silent,
    });
    await muc.start();
  });
  after(async () => {
    await muc.stop();
    await h.close();
  });

  test('a join goes to the declared room service, and so does the unavailable at logout; undeclared → remote-server-not-found', async () => {
    const alice = await h.createUser('alice');
    const room = `lounge@conference.${DOMAIN}`;
    const a = await h.login(`${alice}/pc`);
    await h.delivered();
    h.clear();

    await h.send(a, xml('presence', { to: `${room}/al`, id: 'join1' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    await h.delivered();
    const bounced = h.for(a).find((e) => e.attrs.id === 'join1');
    assert.equal(bounced?.getChild('error')?.getChild('remote-server-not-found')?.name, 'remote-server-not-found', 'nobody serves it yet');

    await muc.declare('muc', 'muc-1', { domains: [`conference.${DOMAIN}`] });
    h.clear();
    await h.send(a, xml('presence', { to: `${room}/al`, id: 'join2' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    assert.deepEqual(
      took.map((t) => [t.stanza.id, t.stanza.from, t.stanza.to]),
      [['join2', a.jid, `${room}/al`]],
    );
    assert.equal(took[0]!.subject, subjects.serviceIn('muc', partitionOf(room, h.config.bus.partitions)));
    await h.delivered();
    assert.equal(h.for(a).filter((e) => e.attrs.type === 'error').length, 0);

    // §4.6.3: the room is on the session's directed-presence list; it learns when the session ends.
    await h.end(a);
    assert.deepEqual(took.map((t) => [t.stanza.type, t.stanza.to]).at(-1), ['unavailable', `${room}/al`]);
  });
});
