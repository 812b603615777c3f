/**
 * A peer that was unreachable comes back (Prosody restarted): our retry back-off towards it
 * (`s2s.retryBackoffMs`, stanzas bounced at once) ends as soon as it authenticates a stream to any
 * of our edges, announced on the bus (`subjects.s2sPeerReachable`) because the edge sending to it
 * (its `s2s` partition's owner) may be another. Without it, the users of a restarted peer who
 * rejoined our rooms at once were bounced out again (XEP-0045 333) for the rest of the back-off.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { createBus, decodeFrame, encodeAck, encodeFrame, envelopeOf, partitionOf, requestRetrying, subjects } from '#libs/bus';
import { configSchema } from '#libs/config';
import { makeFederationPki } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import { serverTlsPolicy } from '#libs/tls';
import { xml } from '#libs/xml';
import { S2S_SERVICE, S2sServer } from './s2s.server.js';
import { connectS2s, listenS2s, s2sSide } from './testing/s2s-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'glider-s2s-reachable-'));
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('a peer that authenticates a stream to us ends the back-off towards it: the next stanza dials and arrives', async () => {
  const pki = makeFederationPki(dir);
  const certA = pki.issue('a.test');
  const bPort = await freePort(); // b.test is down: nothing listens here yet
  const config = configSchema.parse({
    domains: ['a.test'],
    log: { level: 'silent' },
    bus: { partitions: 4, heartbeatMs: 100 },
    s2s: {
      enabled: true,
      port: 0,
      directTlsPort: 0,
      trustFile: pki.caFile,
      retryBackoffMs: 600_000,
      policy: { mode: 'allowlist', allow: ['b.test'] },
      routes: { 'b.test': { host: '127.0.0.1', port: bPort } },
    },
  });
  const logger = pino({ level: process.env.EDGE_TEST_LOG ?? 'silent' });
  const bus = await createBus(config.bus, logger);
  // the routers: bounces to local senders land here
  const bounced: string[] = [];
  for (let p = 0; p < config.bus.partitions; p++)
    bus.subscribe(subjects.routerIn(p), (m) => {
      const st = decodeFrame(m.data).stanza;
      if (st) bounced.push(st.id);
      if (m.replyExpected) m.respond(encodeAck({ taken: true }));
    });
  const server = new S2sServer({
    config,
    logger,
    bus,
    edgeId: 'edge-1',
    secureContext: () => createSecureContext({ ...serverTlsPolicy(), cert: certA.cert, key: certA.key }),
  });
  await server.start({});
  cleanups.push(
    () => server.stop(),
    () => bus.close(),
  );
  const sendAsRouter = async (id: string) => {
    const el = xml('message', { from: 'alice@a.test/p', to: 'bob@b.test', type: 'chat', id }, xml('body', {}, id));
    await requestRetrying(bus, subjects.serviceIn(S2S_SERVICE, partitionOf('b.test', config.bus.partitions)), encodeFrame({ stanza: envelopeOf(el) }), {
      timeoutMs: 10_000,
    });
  };

  await sendAsRouter('m1');
  await waitFor(() => bounced.includes('m1'), { what: 'm1 bounced: b.test is down' });
  // b.test comes back on its port; in the back-off we still bounce at once
  const b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, { mode: 'allowlist', allow: ['a.test'], deny: [] });
  const listener = await listenS2s(b, { port: bPort });
  cleanups.push(() => listener.server.close());
  await sendAsRouter('m2');
  await waitFor(() => bounced.includes('m2'), { what: 'm2 bounced: still in the back-off' });
  // b.test opens a stream to us (its users rejoin our rooms): SASL EXTERNAL, so it is up
  const fromB = await connectS2s(b, 'a.test', server.ports.s2s);
  cleanups.push(() => fromB.close());
  await fromB.ready;
  // the announcement reaches the pool through the bus: send until a stanza gets through (the
  // back-off is 600 s, so only the announcement can end it)
  let n = 0;
  await waitFor(
    async () => {
      const id = `m3-${++n}`;
      await sendAsRouter(id);
      await waitFor(() => bounced.includes(id) || b.received.some((r) => r.el.attrs.id === id), { what: `${id} bounced or arrived` });
      return b.received.some((r) => r.el.attrs.id === id);
    },
    { what: 'a stanza through to b.test after it authenticated to us', timeoutMs: 10_000 },
  );
  assert.equal(b.received.length, 1);
});
