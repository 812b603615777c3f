import { MongoClient, type Db } from 'mongodb';
import type { CorruptKeys } from '../../contract/index.js';

/** Runs `fn` on the database through a client of its own, bypassing the repositories (tests only). */
export async function withRawDb<T>(url: string, database: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.connect();
    return await fn(client.db(database));
  } finally {
    await client.close();
  }
}

/** The contract suite's `corrupt()` hook: damages one record the way a bad hand edit would. */
export async function corruptMongoRecord<K extends keyof CorruptKeys>(url: string, database: string, kind: K, key: CorruptKeys[K]): Promise<void> {
  await withRawDb(url, database, async (db) => {
    if (kind === 'account') {
      const { username, domain } = key as CorruptKeys['account'];
      const r = await db.collection<{ _id: string }>('accounts').updateOne({ _id: `${username}@${domain}` }, { $set: { scram: 'not a credential' } });
      if (r.matchedCount !== 1) throw new Error(`no account ${username}@${domain} to corrupt`);
      return;
    }
    const { owner, contact } = key as CorruptKeys['roster-item'];
    const heads = db.collection<{ _id: string; items: Record<string, unknown>[] }>('rosters');
    const head = await heads.findOne({ _id: owner });
    const target = head?.items.find((i) => i.jid === contact);
    if (!head || !target) throw new Error(`no roster item ${contact} of ${owner} to corrupt`);
    target.subscription = 42;
    await heads.replaceOne({ _id: owner }, head);
  });
}
