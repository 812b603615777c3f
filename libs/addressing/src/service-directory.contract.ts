import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseJid } from '#libs/jid';
import { buckets, keys, type Bus } from '#libs/bus';
import { waitFor } from '#libs/testing';
import type { AddressQuery } from './address.js';
import { encodeDeclaration } from './declaration.codec.js';
import { declaration } from './declaration.js';
import { ServiceDirectory } from './service-directory.js';

const HEARTBEAT_MS = 100;
const quiet = { error: () => undefined };
const opts = { localDomains: ['example.com'], partitions: 8, heartbeatMs: HEARTBEAT_MS, outageGraceMs: 10_000, logger: quiet };
const ROSTER = 'jabber:iq:roster';
const rosterIq: AddressQuery = {
  kind: 'iq',
  type: 'get',
  from: parseJid('alice@example.com/pc'),
  to: parseJid('alice@example.com'),
  ns: ROSTER,
  phase: 'sent',
};
const served = (d: ServiceDirectory) => d.table.resolve(rosterIq).kind === 'service';

export interface DirectoryFixture {
  /** A bus connection of its own (a process of the cluster). */
  connect(): Promise<Bus>;
  cleanup(): Promise<void>;
}

/**
 * The addressing table on the bus: what one process declares reaches every other, a clean stop
 * withdraws it at once, and a process that dies (stops heartbeating without a word) loses its
 * declarations within the liveness window. Run on the in-process bus and a real nats-server.
 */
export function runDirectoryContract(name: string, fixture: () => Promise<DirectoryFixture>): void {
  describe(`ServiceDirectory on ${name}`, () => {
    let f: DirectoryFixture;
    before(async () => {
      f = await fixture();
    });
    after(() => f.cleanup());

    test('a declaration reaches another process; withdrawing it makes the answer service-unavailable at once', async () => {
      const router = new ServiceDirectory(await f.connect(), opts);
      const presence = new ServiceDirectory(await f.connect(), opts);
      await router.start();
      await presence.start();
      try {
        const before = router.table.resolve(rosterIq);
        assert.equal(before.kind === 'bounce' && before.condition, 'service-unavailable');
        await presence.declare('presence', 'p1', { accountPresence: true, accountIq: [{ ns: ROSTER, ownOnly: true }] });
        await waitFor(() => served(router), { what: 'the router to learn the presence declaration' });
        await presence.withdraw('presence', 'p1');
        await waitFor(() => !served(router), { what: 'the withdrawal to reach the router' });
        const after = router.table.resolve(rosterIq);
        assert.equal(after.kind === 'bounce' && after.condition, 'service-unavailable');
      } finally {
        await presence.stop();
        await router.stop();
      }
    });

    test('a process that started later learns what is already declared', async () => {
      const presence = new ServiceDirectory(await f.connect(), opts);
      await presence.start();
      await presence.declare('presence', 'p2', { accountIq: [{ ns: ROSTER, ownOnly: true, features: [`${ROSTER}#example`] }] });
      const router = new ServiceDirectory(await f.connect(), opts);
      try {
        await router.start();
        assert.equal(served(router), true, 'known as soon as start() resolves');
        assert.deepEqual(router.table.accountNamespaces(true), [ROSTER, `${ROSTER}#example`], "a claim's features cross the bus");
      } finally {
        await router.stop();
        await presence.stop();
      }
    });

    test('a dead service (no heartbeat, no withdrawal) disappears from every table', async () => {
      const router = new ServiceDirectory(await f.connect(), opts);
      await router.start();
      try {
        // What a killed process leaves behind: its last write, never refreshed nor deleted.
        const kv = await (await f.connect()).kv(buckets.services, { ttlMs: 3 * HEARTBEAT_MS });
        const dead = declaration('presence', 'p-dead', { accountIq: [{ ns: ROSTER, ownOnly: true }] });
        await kv.put(keys.service('presence', 'p-dead'), encodeDeclaration(dead));
        await waitFor(() => served(router), { what: 'the declaration to arrive' });
        await waitFor(() => !served(router), { what: 'the dead declaration to expire', timeoutMs: 20 * HEARTBEAT_MS + 5_000 });
        assert.equal(await kv.get(keys.service('presence', 'p-dead')), undefined);
      } finally {
        await router.stop();
      }
    });
  });
}
