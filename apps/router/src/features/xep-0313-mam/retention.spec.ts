import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { archiveSchema } from '#libs/config';
import { newArchiveId, type Storage } from '#libs/storage';
import { RouterHarness } from '../../testing/router-harness.js';
import { retentionDays, sweepArchives } from './retention.js';

const DAY = 86_400_000;

describe('archive retention (archive.retentionDays, per domain)', () => {
  let h: RouterHarness;
  before(async () => {
    h = await RouterHarness.start();
  });
  after(() => h.close());

  async function seed(storage: Storage, owner: string, ages: number[], now: number) {
    for (const age of ages) {
      const ts = now - age * DAY;
      await storage.archive.append({ owner, id: newArchiveId(ts), with: 'x@y', timestamp: new Date(ts), direction: 'in', xml: '<message/>' });
    }
  }

  test('removes what is older than the domain retention, keeps the rest and other domains', async () => {
    const now = Date.now();
    const cfg = archiveSchema.parse({ retentionDays: 30, retentionDaysByDomain: { 'keep.example': 0, 'short.example': 7 } });
    assert.deepEqual(
      ['a.example', 'keep.example', 'short.example'].map((d) => retentionDays(cfg, d)),
      [30, 0, 7],
    );
    await seed(h.storage, 'u@a.example', [40, 20, 1], now);
    await seed(h.storage, 'u@keep.example', [400], now);
    await seed(h.storage, 'u@short.example', [10, 3], now);
    assert.equal(await sweepArchives(h.storage, cfg, ['a.example', 'keep.example', 'short.example'], now), 2);
    const left = async (o: string) => (await h.storage.archive.query(o, {}, { max: 10 })).count;
    assert.deepEqual([await left('u@a.example'), await left('u@keep.example'), await left('u@short.example')], [2, 1, 1]);
    assert.equal(await sweepArchives(h.storage, cfg, ['a.example', 'keep.example', 'short.example'], now), 0, 'a second pass finds nothing');
  });
});
