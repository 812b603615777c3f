import { randomUUID } from 'node:crypto';
import { buckets, keys, type Bus, type KvBucket } from '#libs/bus';

/**
 * A XEP-0198 resumable session as every process sees it (bus KV `glider_sm`, docs/decisions.md
 * "Stream management state outside the edge"). The id is the session's registry id (a UUID), which
 * is also the `id`/`previd` the client holds. Counters are full counts since `<enable/>`; the
 * wire's 32-bit `h` is derived from them (apps/edge/src/features/xep-0198-sm/sm-counter.ts).
 */
export interface ResumableRecord {
  /** Format version of this JSON value; readers refuse what they do not know. */
  v: 1;
  /** The session's full JID. */
  jid: string;
  /**
   * `attached`: a stream on `edgeId` holds it; `detached`: no connection, waiting for a resume until
   * `expiresAtMs`; `ending`: someone is handing its queue to the router (lease until `expiresAtMs`).
   */
  state: 'attached' | 'detached' | 'ending';
  /** The edge that holds (or last held) it. */
  edgeId: string;
  /** Stanzas handled from the client, as last made durable (never more than the truth). */
  inH: number;
  /** The client's last `h` the server recorded. */
  acked: number;
  /** Stanzas numbered for the client so far (an item may carry a higher one if its edge died). */
  sent: number;
  /** Resumption timeout chosen at `<enable/>` (the `max` we answered). */
  timeoutSec: number;
  expiresAtMs: number;
  /**
   * The session's XEP-0280 carbons and XEP-0191 blocklist-push flags, copied from its registry
   * record when it detaches (by its edge, or by the dead-edge sweep): a resume restores them when
   * that record is gone or belongs to another session by then.
   */
  carbons?: boolean;
  blocklist?: boolean;
}

/** The flags a resumable record keeps of a session's registry record (absent when off). */
export function sessionFlags(info: { carbons?: boolean; blocklist?: boolean } | undefined): Pick<ResumableRecord, 'carbons' | 'blocklist'> {
  return { ...(info?.carbons ? { carbons: true } : {}), ...(info?.blocklist ? { blocklist: true } : {}) };
}

/** One stanza of the queue: sent and not yet acknowledged (`n` set), or held while detached (no `n`). */
export interface QueueItem {
  v: 1;
  /** Its number in the outbound count, once one was given (it was, or may have been, written). */
  n?: number;
  /** The serialised stanza (UTF-8 bytes as stored; a string is accepted when putting). */
  x: string | Uint8Array;
  /** Routing fields, so the queue can be handed to a router without parsing: kind, type, id, to, from. */
  k: string;
  t: string;
  i: string;
  to: string;
  fr: string;
  /** StanzaEnvelope.sessionKey: the sender's key for it, so a resume replays one copy (apps/edge xep-0198-sm/resume.ts). */
  sk?: string;
}

export interface StoredItem {
  key: string;
  revision: number;
  item: QueueItem;
}

const enc = new TextEncoder();
/** A session id usable as one KV key token. */
const ID = /^[-_=a-zA-Z0-9]{1,128}$/;
const dec = new TextDecoder();

function encode(value: object): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

function decodeRecord(bytes: Uint8Array): ResumableRecord | undefined {
  const r = JSON.parse(dec.decode(bytes)) as Partial<ResumableRecord>;
  return r.v === 1 ? (r as ResumableRecord) : undefined;
}

/**
 * A queue item's bytes: format 2 is byte 0x02, the routing fields as JSON behind a 32-bit length,
 * then the stanza's bytes as they were (no escaping nor UTF-16 round trip: an item is written per
 * stanza sent, docs/performance.md). Format 1 (a JSON object, `{…`) is still read.
 */
const ITEM_V2 = 2;

export function encodeItem(item: QueueItem): Uint8Array {
  const head = enc.encode(JSON.stringify({ n: item.n, k: item.k, t: item.t, i: item.i, to: item.to, fr: item.fr, sk: item.sk }));
  const x = typeof item.x === 'string' ? Buffer.from(item.x, 'utf8') : item.x;
  const out = Buffer.allocUnsafe(5 + head.byteLength + x.byteLength);
  out[0] = ITEM_V2;
  out.writeUInt32BE(head.byteLength, 1);
  out.set(head, 5);
  out.set(x, 5 + head.byteLength);
  return out;
}

export function decodeItem(bytes: Uint8Array): QueueItem | undefined {
  if (bytes[0] === ITEM_V2 && bytes.byteLength >= 5) {
    const len = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(1);
    const head = JSON.parse(dec.decode(bytes.subarray(5, 5 + len))) as Omit<QueueItem, 'v' | 'x'>;
    return { v: 1, ...head, x: bytes.subarray(5 + len) };
  }
  if (bytes[0] !== 0x7b) return undefined; // neither format: not ours
  const item = JSON.parse(dec.decode(bytes)) as QueueItem;
  return item.v === 1 ? item : undefined;
}

/**
 * The resumable state of XEP-0198 sessions in one KV bucket, shared by every edge (which writes it)
 * and router (which holds stanzas for detached sessions and ends expired ones). Records change
 * only by compare-and-set on their revision: whoever changes one after another process did learns
 * it from a KvConflictError, which is the fencing between edges.
 */
export class ResumableStore {
  private kv: Promise<KvBucket> | undefined;
  /** The bucket once open: the per-stanza calls (putItem, deleteItem) then skip a promise hop. */
  private open: KvBucket | undefined;

  constructor(private readonly bus: Bus) {}

  private bucket(): Promise<KvBucket> {
    return (this.kv ??= this.bus.kv(buckets.resumable).then((kv) => (this.open = kv)));
  }

  async get(id: string): Promise<{ record: ResumableRecord; revision: number } | undefined> {
    if (!ID.test(id)) return undefined; // not a session id this store could hold (edges make UUIDs)
    const e = await (await this.bucket()).get(keys.resumable(id));
    if (!e) return undefined;
    const record = decodeRecord(e.value);
    return record ? { record, revision: e.revision } : undefined;
  }

  async create(id: string, record: ResumableRecord): Promise<number> {
    return (await this.bucket()).create(keys.resumable(id), encode(record));
  }

  /** Compare-and-set: KvConflictError when another process changed the record since `revision`. */
  async update(id: string, record: ResumableRecord, revision: number): Promise<number> {
    return (await this.bucket()).update(keys.resumable(id), encode(record), revision);
  }

  async delete(id: string): Promise<void> {
    await (await this.bucket()).delete(keys.resumable(id));
  }

  /** Appends a stanza; the key is unique, the revision gives the order (one per bucket, increasing). */
  putItem(id: string, item: QueueItem, key = keys.resumableItem(id, randomUUID())): Promise<StoredItem> {
    const bytes = encodeItem(item);
    const put = this.open ? this.open.put(key, bytes) : this.bucket().then((kv) => kv.put(key, bytes));
    return put.then((revision) => ({ key, revision, item }));
  }

  /** Holds a stanza for a detached session (a router): apart from the numbered queue (keys.resumableHeldItem). */
  putHeldItem(id: string, item: QueueItem): Promise<StoredItem> {
    return this.putItem(id, item, keys.resumableHeldItem(id, randomUUID()));
  }

  /** The queue in the order its stanzas were stored: numbered and held items together. */
  async items(id: string): Promise<StoredItem[]> {
    const kv = await this.bucket();
    const names = [...(await kv.keys(keys.resumableItems(id))), ...(await kv.keys(keys.resumableHeldItems(id)))];
    const found = await Promise.all(
      names.map(async (key) => {
        const e = await kv.get(key);
        if (!e) return undefined;
        const item = decodeItem(e.value);
        return item ? { key, revision: e.revision, item } : undefined;
      }),
    );
    return found.filter((x): x is StoredItem => x !== undefined).sort((a, b) => a.revision - b.revision);
  }

  /** With `revision`, only if the item was not rewritten since (KvConflictError otherwise). */
  deleteItem(key: string, revision?: number): Promise<void> {
    return this.open ? this.open.delete(key, revision) : this.bucket().then((kv) => kv.delete(key, revision));
  }

  /**
   * Drops the session's queue items written at or before `revision` in one operation (no delete
   * marker per item): the edge trims what an `<a h/>` acknowledged, which is a prefix in store order
   * (one edge appends a session's stanzas in order on one connection).
   */
  trim(id: string, revision: number): Promise<void> {
    const filter = keys.resumableItems(id);
    return this.open ? this.open.purgeUpTo(filter, revision) : this.bucket().then((kv) => kv.purgeUpTo(filter, revision));
  }

  async markDetached(id: string, expiresAtMs: number): Promise<void> {
    await (await this.bucket()).put(keys.detached(id), enc.encode(String(expiresAtMs)));
  }

  async unmarkDetached(id: string): Promise<void> {
    await (await this.bucket()).delete(keys.detached(id));
  }

  /** Ids of every session with a record (a full scan: run it rarely). */
  async ids(): Promise<string[]> {
    return (await (await this.bucket()).keys('s.*')).map((k) => k.slice(2));
  }

  /** Ids of the sessions marked detached (few: only those waiting for a resume). */
  async detachedIds(): Promise<string[]> {
    return (await (await this.bucket()).keys(keys.allDetached())).map((k) => k.slice(2));
  }
}
