import { KvConflictError, buckets, decodeSessionRecord, keys, type KvBucket } from '#libs/bus';
import type { EdgeContext } from '../edge.context.js';

/** How many heartbeats after a lapse re-check the sessions (a router's sweep may still be running). */
const CHECKS_AFTER_LAPSE = 3;
/** Session records read at once while checking. */
const CHECK_BATCH = 100;
/** How often the stall ticker runs. */
const TICK_MS = 100;

/**
 * The edge's liveness and its fencing (docs/reliability.md). The heartbeat key in `glider_edges`
 * lives 3 × bus.heartbeatMs; routers end the sessions of an edge whose key is gone (EdgeSweeper).
 * Each heartbeat is a compare-and-set on the revision of the previous one, so an edge that was
 * stalled (SIGSTOP, a long GC pause, cut off from NATS) past that finds out at its next heartbeat:
 * the key expired, the update conflicts. It then checks every bound stream's registry record, now
 * and at the next heartbeats, and ends the streams whose record is gone — their sessions were swept,
 * so nothing would be routed to them any more — with <reset/> (RFC 6120 §4.9.3.16: the state
 * negotiated for the stream is no longer valid; the client negotiates afresh). A session is never
 * left half alive: able to send, but receiving nothing.
 *
 * A stalled process learns it sooner than its next heartbeat: a ticker that ran late by more than
 * the heartbeat key's life (`stalled()`, read by every delivery) means the routers have swept its
 * sessions and routed elsewhere what the bus kept for it meanwhile. Deliveries wait until it has
 * fenced (a forced heartbeat, then the check above): the backlog for a swept session is then refused
 * (its stream ended), not written to a client that gets, or got, it another way (a duplicate);
 * sessions the routers did not sweep get theirs, in order.
 */
export class EdgeLiveness {
  private revision = 0;
  private checksLeft = 0;
  /** A beat still running (NATS slow or away): the next one is skipped, not raced against it. */
  private beating = false;
  /**
   * Bumped by a beat forced after a reconnect: a beat started before it (its request went with the
   * lost connection and only times out after bus.requestTimeoutMs) no longer sets the revision.
   */
  private generation = 0;
  private sessionsKv: KvBucket | undefined;
  private lastTick: number;
  private fencing: Promise<void> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  /** How long the heartbeat key lives: a stall past it is a lapse. */
  private readonly lapseMs: number;

  constructor(
    private readonly ctx: EdgeContext,
    private readonly edges: KvBucket,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastTick = now();
    this.lapseMs = 3 * ctx.config.bus.heartbeatMs;
  }

  start(): void {
    this.ticker ??= setInterval(() => this.tick(), TICK_MS).unref();
  }

  stop(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Back from a stall past the heartbeat key's life: the fence in progress (see the class comment); else undefined. */
  stalled(): Promise<void> | undefined {
    if (!this.fencing && this.now() - this.lastTick > this.lapseMs) this.tick(); // noticed before the ticker's turn
    return this.fencing;
  }

  /** The ticker: a late turn means the process was stalled; past the key's life, fence before delivering again. */
  tick(): void {
    const now = this.now();
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (gap <= this.lapseMs || this.fencing) return;
    this.ctx.logger.warn(
      { edgeId: this.ctx.edgeId, stalledMs: Math.round(gap) },
      'edge was stalled past its heartbeat; deliveries wait until its sessions are checked',
    );
    this.fencing = this.beat(true)
      .catch(() => undefined)
      .finally(() => (this.fencing = undefined));
  }

  /**
   * Puts the heartbeat; after a lapse, fences the sessions the routers swept meanwhile. `force`
   * (the bus just reconnected) beats even while an older beat still waits on the lost connection:
   * routers wait only bus.outageGraceMs for the edges to come back.
   */
  async beat(force = false): Promise<void> {
    if (this.beating && !force) return;
    const generation = force ? ++this.generation : this.generation;
    this.beating = true;
    try {
      await this.heartbeat(generation);
    } finally {
      if (generation === this.generation) this.beating = false;
    }
  }

  private async heartbeat(generation: number): Promise<void> {
    const key = keys.edge(this.ctx.edgeId);
    const value = Buffer.from(String(Date.now()));
    try {
      const revision = this.revision === 0 ? await this.edges.put(key, value) : await this.edges.update(key, value, this.revision);
      if (generation !== this.generation) return; // a forced beat superseded this one
      this.revision = revision;
    } catch (err) {
      if (generation !== this.generation) return;
      if (!(err instanceof KvConflictError)) {
        this.ctx.logger.warn({ err: (err as Error).message }, 'edge heartbeat failed');
        return;
      }
      this.ctx.logger.warn({ edgeId: this.ctx.edgeId }, 'edge liveness lapsed: its heartbeat expired; checking its sessions');
      this.checksLeft = CHECKS_AFTER_LAPSE;
      this.revision = 0;
      return this.heartbeat(generation);
    }
    if (this.checksLeft > 0) {
      this.checksLeft--;
      await this.fence().catch((err: unknown) =>
        this.ctx.logger.warn({ err: (err as Error).message }, 'session check after a lapse failed; next heartbeat retries'),
      );
    }
  }

  /** Ends the bound streams whose session record is gone or belongs to another session. */
  async fence(): Promise<number> {
    const kv = (this.sessionsKv ??= await this.ctx.bus.kv(buckets.sessions));
    const bound = [...this.ctx.sessions.values()].filter((s) => s.state === 'bound' && s.jid?.resource);
    let ended = 0;
    for (let i = 0; i < bound.length; i += CHECK_BATCH) {
      await Promise.all(
        bound.slice(i, i + CHECK_BATCH).map(async (stream) => {
          const jid = stream.jid!;
          const entry = await kv.get(keys.session(jid.bare().toString(), jid.resource));
          const record = entry && entry.operation === 'PUT' ? decodeSessionRecord(entry.value) : undefined;
          // A resumed session (XEP-0198) keeps its id on another edge: the record must name this edge too.
          const ours = record?.session?.sessionId === stream.sessionId && record.session.edgeId === this.ctx.edgeId;
          if (ours || stream.state !== 'bound') return;
          ended++;
          stream.error('reset', 'this session ended while its server was unreachable; reconnect');
        }),
      );
    }
    if (ended > 0) this.ctx.logger.warn({ edgeId: this.ctx.edgeId, ended, checked: bound.length }, 'streams of swept sessions ended with <reset/>');
    return ended;
  }
}
