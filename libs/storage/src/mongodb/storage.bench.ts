// Storage benchmark (figures, not a test): offline store/deliver and roster load per login, on the
// embedded store and on MongoDB ($MONGODB_URL, else FerretDB started here). Bounded in count.
// Run: node dist/libs/storage/src/mongodb/storage.bench.js
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedStorage } from '../embedded/embedded-storage.js';
import type { RosterItem } from '../ports/rosters.repository.js';
import type { Storage } from '../ports/storage.js';
import { startMongoTestServer } from './testing/mongo-test-server.js';
import { testStorage } from './testing/mongo-test-storage.js';

const OWNERS = 20;
const MESSAGES_PER_OWNER = 25;
const ROSTER_ITEMS = 100;
const LOGINS = 200;

interface Figures {
  backend: string;
  offlinePushPerSec: number;
  offlineDeliverPerSec: number;
  rosterLoadP50Ms: number;
  rosterLoadP99Ms: number;
}

async function measure(backend: string, storage: Storage): Promise<Figures> {
  const owners = Array.from({ length: OWNERS }, (_, i) => `bench${i}@localhost`);
  let t = performance.now();
  for (let m = 0; m < MESSAGES_PER_OWNER; m++) {
    await Promise.all(owners.map((o) => storage.offline.push(o, `<message id="${m}"><body>hello ${m}</body></message>`, 10_000)));
  }
  const pushSecs = (performance.now() - t) / 1000;
  t = performance.now();
  let delivered = 0;
  await Promise.all(
    owners.map(async (o) => {
      const msgs = await storage.offline.list(o);
      await storage.offline.remove(
        o,
        msgs.map((m) => m.seq),
      );
      delivered += msgs.length;
    }),
  );
  const deliverSecs = (performance.now() - t) / 1000;

  const rosterOwners = owners.slice(0, 4);
  for (const o of rosterOwners) {
    for (let i = 0; i < ROSTER_ITEMS; i++) {
      const item: RosterItem = { jid: `c${i}@example.com`, subscription: 'both', askOut: false, askIn: false, approved: false, groups: ['Friends'] };
      await storage.rosters.modify(o, item.jid, () => item);
    }
  }
  const loads: number[] = [];
  for (let i = 0; i < LOGINS; i++) {
    const s = performance.now();
    const r = await storage.rosters.get(rosterOwners[i % rosterOwners.length]!);
    loads.push(performance.now() - s);
    if (r.items.length !== ROSTER_ITEMS) throw new Error(`roster has ${r.items.length} items`);
  }
  loads.sort((a, b) => a - b);
  return {
    backend,
    offlinePushPerSec: Math.round((OWNERS * MESSAGES_PER_OWNER) / pushSecs),
    offlineDeliverPerSec: Math.round(delivered / deliverSecs),
    rosterLoadP50Ms: round(loads[Math.floor(loads.length * 0.5)]!),
    rosterLoadP99Ms: round(loads[Math.floor(loads.length * 0.99)]!),
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function main(): Promise<void> {
  const rows: Figures[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'glider-bench-embedded-'));
  try {
    const embedded = new EmbeddedStorage({ dataDir: dir });
    await embedded.open();
    rows.push(await measure('embedded (node:sqlite)', embedded));
    await embedded.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const server = await startMongoTestServer();
  try {
    const mongo = testStorage(server, server.database('glider_bench'));
    await mongo.open();
    rows.push(await measure(server.external ? 'mongodb ($MONGODB_URL)' : 'mongodb wire (FerretDB 1.x, SQLite)', mongo));
    await mongo.close();
  } finally {
    await server.stop();
  }
  console.log(
    `storage: ${OWNERS} owners x ${MESSAGES_PER_OWNER} offline messages (${OWNERS} concurrent pushers), ` +
      `roster of ${ROSTER_ITEMS} items loaded ${LOGINS} times`,
  );
  console.table(rows);
}

await main();
