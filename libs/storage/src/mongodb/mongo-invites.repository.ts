import type { Invite, InviteUse, InvitesRepository } from '../ports/invites.repository.js';
import { StorageConflictError } from '../ports/errors.js';
import { isDuplicateKey } from './mongo-retry.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';

const COLLECTION = 'invites';
const USES = 'invite_uses';

export const INVITES_INDEXES: CollectionIndexes[] = [
  {
    collection: COLLECTION,
    indexes: [
      { key: { domain: 1, createdAt: 1 }, name: 'domain_created' },
      { key: { inviter: 1 }, name: 'inviter' },
    ],
  },
  { collection: USES, indexes: [{ key: { invite: 1, n: 1 }, name: 'invite_n' }] },
];

interface InviteDoc {
  _id: string;
  schema: number;
  domain: string;
  inviter?: string;
  group?: string;
  maxUses: number;
  createdAt: Date;
  expiresAt: Date;
}

/** One taken use: `_id` = `<invite id> <n>`, n in 1..maxUses. */
interface UseDoc {
  _id: string;
  invite: string;
  n: number;
}

/**
 * Invites, one document each, and one `invite_uses` document per use taken. A use inserts the
 * first free `<id> <n>`: an insert of a taken `_id` fails on every MongoDB-wire server, so racing
 * registrations for a last use get one winner (a conditional `$inc` via findOneAndUpdate is not
 * atomic on FerretDB 1.x: the contract's race test caught it). A retry after a lost reply may take
 * a second use: the invite then runs out early, never late.
 */
export class MongoInvitesRepository implements InvitesRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<InviteDoc>(COLLECTION);
  }

  private get uses() {
    return this.ctx.db.collection<UseDoc>(USES);
  }

  async create(i: Invite): Promise<void> {
    const doc: InviteDoc = { _id: i.id, schema: 1, domain: i.domain, maxUses: i.maxUses, createdAt: i.createdAt, expiresAt: i.expiresAt };
    if (i.inviter !== undefined) doc.inviter = i.inviter;
    if (i.group !== undefined) doc.group = i.group;
    await this.ctx.retry.run(`create invite ${i.id}`, async (attempt) => {
      try {
        await this.col.insertOne(doc);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        if (attempt > 1) return; // our own first attempt got there
        throw new StorageConflictError(`invite ${i.id} exists`);
      }
    });
    // Made with fewer uses than maxUses (never by the admin API, but the port allows it): pre-take the rest.
    for (let n = 1; n <= i.maxUses - i.usesLeft; n++) await this.take(i.id, n);
  }

  async get(id: string): Promise<Invite | undefined> {
    const doc = await this.ctx.retry.run(`get invite ${id}`, () => this.col.findOne({ _id: id }));
    return doc ? this.withUses(doc) : undefined;
  }

  async use(id: string, now: Date): Promise<InviteUse> {
    const doc = await this.ctx.retry.run(`get invite ${id}`, () => this.col.findOne({ _id: id }));
    if (!doc) return { kind: 'unknown' };
    if (doc.expiresAt.getTime() <= now.getTime()) return { kind: 'expired' };
    const taken = await this.ctx.retry.run(`count uses of invite ${id}`, () => this.uses.countDocuments({ invite: id }));
    for (let n = taken + 1; n <= doc.maxUses; n++) {
      if (await this.take(id, n)) return { kind: 'ok', invite: await this.withUses(doc) };
    }
    // Slots below `taken` may have been released meanwhile.
    for (let n = 1; n <= Math.min(taken, doc.maxUses); n++) {
      if (await this.take(id, n)) return { kind: 'ok', invite: await this.withUses(doc) };
    }
    return { kind: 'used-up' };
  }

  async release(id: string): Promise<void> {
    const last = await this.ctx.retry.run(`find uses of invite ${id}`, () => this.uses.find({ invite: id }).sort({ n: -1 }).limit(1).toArray());
    if (last[0]) await this.ctx.retry.run(`release invite ${id}`, () => this.uses.deleteOne({ _id: last[0]!._id }));
  }

  async list(domain?: string): Promise<Invite[]> {
    const docs = await this.ctx.retry.run('list invites', () =>
      this.col
        .find(domain === undefined ? {} : { domain })
        .sort({ createdAt: 1, _id: 1 })
        .toArray(),
    );
    return Promise.all(docs.map((d) => this.withUses(d)));
  }

  async revoke(id: string): Promise<boolean> {
    const r = await this.ctx.retry.run(`revoke invite ${id}`, () => this.col.deleteOne({ _id: id }));
    await this.ctx.retry.run(`delete uses of invite ${id}`, () => this.uses.deleteMany({ invite: id }));
    return r.deletedCount > 0;
  }

  async deleteByInviter(inviter: string): Promise<void> {
    const docs = await this.ctx.retry.run(`find invites of ${inviter}`, () => this.col.find({ inviter }).toArray());
    for (const d of docs) await this.revoke(d._id);
  }

  /** True when use `n` of the invite was free and is now taken. */
  private async take(id: string, n: number): Promise<boolean> {
    try {
      await this.ctx.retry.run(`use invite ${id}`, () => this.uses.insertOne({ _id: `${id} ${n}`, invite: id, n }));
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  private async withUses(d: InviteDoc): Promise<Invite> {
    const taken = await this.ctx.retry.run(`count uses of invite ${d._id}`, () => this.uses.countDocuments({ invite: d._id }));
    const i: Invite = {
      id: d._id,
      domain: d.domain,
      usesLeft: Math.max(0, d.maxUses - taken),
      maxUses: d.maxUses,
      createdAt: d.createdAt,
      expiresAt: d.expiresAt,
    };
    if (d.inviter !== undefined) i.inviter = d.inviter;
    if (d.group !== undefined) i.group = d.group;
    return i;
  }
}
