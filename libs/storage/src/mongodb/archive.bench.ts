// Archive query benchmark (figures, not a test; issue 11): one user with N archived messages
// (ARCHIVE_BENCH_MESSAGES, default 100,000) spread over 10 contacts; p50/p99 of the query clients
// make most — the last page of 50, newest first — without and with a `with` filter, on the embedded
// store and on MongoDB ($MONGODB_URL, else FerretDB started here; ARCHIVE_BENCH_MONGO=0 skips it).
// Bounded in count. Run: npm run build && node dist/libs/storage/src/mongodb/archive.bench.js
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedStorage } from '../embedded/embedded-storage.js';
import { newArchiveId } from '../ports/archive-id.js';
import type { ArchiveFilter } from '../ports/archive.repository.js';
import type { Storage } from '../ports/storage.js';
import { startMongoTestServer } from './testing/mongo-test-server.js';
import { testStorage } from './testing/mongo-test-storage.js';

const MESSAGES = Number(process.env.ARCHIVE_BENCH_MESSAGES ?? 100_000);
const QUERIES = 200;
const PAGE = 50;
const SEED_CONCURRENCY = 50;
const OWNER = 'bench@localhost';
const PEERS = Array.from({ length: 10 }, (_, i) => `peer${i}@localhost/res`);

async function seed(storage: Storage): Promise<number> {
  const t = performance.now();
  const start = Date.now() - MESSAGES * 1000;
  for (let i = 0; i < MESSAGES; i += SEED_CONCURRENCY) {
    const batch = [];
    for (let j = i; j < Math.min(i + SEED_CONCURRENCY, MESSAGES); j++) {
      const ts = start + j * 1000;
      batch.push(
        storage.archive.append({
          owner: OWNER,
          id: newArchiveId(ts),
          with: PEERS[j % PEERS.length]!,
          timestamp: new Date(ts),
          direction: j % 2 ? 'in' : 'out',
          xml: `<message xmlns="jabber:client" type="chat"><body>message number ${j} of the benchmark</body></message>`,
        }),
      );
    }
    await Promise.all(batch);
  }
  return MESSAGES / ((performance.now() - t) / 1000);
}

async function percentiles(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Number(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(2));
  return { p50: at(0.5), p99: at(0.99) };
}

async function measure(backend: string, storage: Storage) {
  const appendsPerSec = Math.round(await seed(storage));
  const last = (filter: ArchiveFilter) => () => storage.archive.query(OWNER, filter, { max: PAGE, before: true });
  const newest = await percentiles(last({}));
  const withBare = await percentiles(last({ with: 'peer3@localhost' }));
  return { backend, messages: MESSAGES, appendsPerSec, newestFirst: newest, withFilter: withBare };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'glider-archive-bench-'));
  const figures = [];
  try {
    const embedded = new EmbeddedStorage({ dataDir: dir });
    await embedded.open();
    figures.push(await measure('embedded', embedded));
    await embedded.close();
    if (process.env.ARCHIVE_BENCH_MONGO !== '0') {
      const server = await startMongoTestServer();
      try {
        const mongo = testStorage(server, server.database('glider_archive_bench'));
        await mongo.open();
        figures.push(await measure('mongodb', mongo));
        await mongo.close();
      } finally {
        await server.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(figures, null, 2));
}

await main();
