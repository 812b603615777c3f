import { keys, type KvBucket } from '#libs/bus';
import type { Logger } from '#libs/telemetry';

/** Called once when a queued stanza is settled: written to the remote server, or bounced to its sender. */
export type Settled = () => void;

/** A stanza the previous owner of a partition accepted and did not settle, in the order it accepted them. */
export interface Recovered {
  local: string;
  remote: string;
  xml: string;
  /** When the first owner accepted it: its `s2s.queueTimeoutMs` counts from then. */
  queuedAt: number;
  settled: Settled;
}

interface Item {
  l: string;
  r: string;
  t: number;
  x: string;
}

/** What this edge tracks of one (local, remote) pair's entries: revisions still in the bucket, which of them are settled. */
interface PairLog {
  readonly partition: number;
  readonly filter: string;
  readonly pending: number[];
  readonly done: Set<number>;
  target: number;
  purging: Promise<void> | undefined;
  again: boolean;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * The durable side of outbound federation (issue 13): every stanza the `s2s` service accepts is put
 * in KV bucket `glider_s2s_out` (JetStream, file storage) *before* the router gets its Ack, and
 * stays there until the outbound stream's write callback fired or the stanza was bounced. Entries
 * are keyed by the service's partition and the domain pair; the bucket's revision is the order.
 *
 * Settled entries leave by pair, in one purge up to the highest revision below which everything is
 * settled (no delete markers, one JetStream call per batch). When an edge dies, the next owner of
 * the partition reads what is left (`recover`) and sends it first, in the order it was accepted.
 */
export class S2sOutQueue {
  private readonly pairs = new Map<string, PairLog>();
  private n = 0;

  constructor(
    private readonly kv: KvBucket,
    private readonly edgeId: string,
    private readonly logger: Logger,
  ) {}

  /** Stores one stanza; resolves once it is durable, with the function that settles it. */
  async put(partition: number, local: string, remote: string, xml: string): Promise<Settled> {
    const item: Item = { l: local, r: remote, t: Date.now(), x: xml };
    const revision = await this.kv.put(keys.s2sOutItem(partition, local, remote, this.edgeId, ++this.n), utf8.encode(JSON.stringify(item)));
    return this.track(partition, local, remote, revision);
  }

  /** What waits in a partition this edge now owns, oldest first (the previous owner died or let it go). */
  async recover(partition: number): Promise<Recovered[]> {
    const names = await this.kv.keys(keys.s2sOutPartition(partition));
    const entries = (await Promise.all(names.map((k) => this.kv.get(k)))).filter((e) => e !== undefined);
    entries.sort((a, b) => a.revision - b.revision);
    const out: Recovered[] = [];
    for (const e of entries) {
      let item: Item;
      try {
        item = JSON.parse(fromUtf8.decode(e.value)) as Item;
      } catch {
        this.logger.error({ key: e.key }, 'unreadable entry in the s2s queue left alone');
        continue;
      }
      out.push({ local: item.l, remote: item.r, xml: item.x, queuedAt: item.t, settled: this.track(partition, item.l, item.r, e.revision) });
    }
    return out;
  }

  /** Entries this edge put or recovered and has not settled (metrics, tests). */
  waiting(): number {
    let n = 0;
    for (const log of this.pairs.values()) n += log.pending.length - log.done.size;
    return n;
  }

  /**
   * Lets go of a partition (hand-over): forgets its pairs once their running purges are done. What
   * is not settled stays in the bucket for the next owner.
   */
  async release(partition: number): Promise<void> {
    const logs = [...this.pairs].filter(([, log]) => log.partition === partition);
    for (const [key] of logs) this.pairs.delete(key);
    await Promise.all(logs.map(([, log]) => this.idle(log)));
  }

  private track(partition: number, local: string, remote: string, revision: number): Settled {
    const key = `${partition} ${local} ${remote}`;
    let log = this.pairs.get(key);
    if (!log) {
      log = { partition, filter: keys.s2sOutPair(partition, local, remote), pending: [], done: new Set(), target: 0, purging: undefined, again: false };
      this.pairs.set(key, log);
    }
    log.pending.push(revision);
    let once = false;
    const pair = log;
    return () => {
      if (once) return;
      once = true;
      this.settle(pair, revision);
    };
  }

  /** Advances the pair's mark over the settled prefix and purges up to it. */
  private settle(log: PairLog, revision: number): void {
    log.done.add(revision);
    let mark = 0;
    while (log.pending.length > 0 && log.done.has(log.pending[0]!)) {
      mark = log.pending.shift()!;
      log.done.delete(mark);
    }
    if (mark === 0) return;
    log.target = mark;
    if (log.purging) {
      log.again = true;
      return;
    }
    log.purging = this.purge(log).finally(() => {
      log.purging = undefined;
    });
  }

  private async purge(log: PairLog): Promise<void> {
    do {
      log.again = false;
      try {
        await this.kv.purgeUpTo(log.filter, log.target);
      } catch (err) {
        // Left in the bucket: a later purge of the pair covers them; a take-over meanwhile sends them again (a duplicate).
        this.logger.warn({ err: (err as Error).message, upTo: log.target }, 'settled s2s queue entries not purged yet');
      }
    } while (log.again);
  }

  private async idle(log: PairLog): Promise<void> {
    while (log.purging) await log.purging;
  }
}
