import { KvConflictError, buckets, keys } from '#libs/bus';
import { endResumable, sessionFlags, type ResumableRecord, type SessionInfo } from '#libs/sessions';
import type { RouterContext } from '../router.context.js';

/**
 * A dead edge's XEP-0198 session is not ended by the dead-edge sweep: it is detached (its timer
 * starts now) and waits for a resume on another edge; stanzas for it are held in its queue
 * (acked-delivery.ts). True when `sessionId` is such a session (so the sweep leaves its record).
 */
export async function detachResumable(ctx: RouterContext, sessionId: string, edgeId: string, session?: SessionInfo): Promise<boolean> {
  const cur = await ctx.resumable.get(sessionId);
  if (!cur || cur.record.state === 'ending') return false;
  if (cur.record.state === 'detached' || cur.record.edgeId !== edgeId) return true; // already waiting, or resumed elsewhere
  const expiresAtMs = Date.now() + cur.record.timeoutSec * 1000;
  try {
    // The registry record's carbons/blocklist flags go with it (a resume may find that record gone).
    const flags = session?.sessionId === sessionId ? sessionFlags(session) : {};
    await ctx.resumable.update(sessionId, { ...cur.record, state: 'detached', expiresAtMs, ...flags }, cur.revision);
    await ctx.resumable.markDetached(sessionId, expiresAtMs);
    ctx.logger.info({ sid: sessionId, jid: cur.record.jid, edgeId }, 'resumable session of a dead edge detached; it may resume on any edge');
    if (ctx.hooks.has('session:detached')) await ctx.hooks.run('session:detached', { jid: cur.record.jid, sessionId });
  } catch (err) {
    if (!(err instanceof KvConflictError)) throw err; // else: resumed or detached meanwhile
  }
  return true;
}

/**
 * Ends the detached sessions whose resumption timeout passed (XEP-0198 §5), whichever edge held
 * them, alive or dead: every router looks every edge.sm.reapIntervalMs at the detached index, and
 * the record's compare-and-set lets one of them end each session (its queue routed again in order:
 * another resource, offline storage or an error to the sender; ENDED to presence). A session left
 * `ending` by a process that died half-way is taken over once its lease is past.
 */
export class SmReaper {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private rounds = 0;
  /**
   * Detached sessions (waiting for a resume, cluster-wide) left in the index after the last pass;
   * undefined before the first pass and after a pass that could not list them. Every router sees
   * the same index, so `glider_sm_detached_sessions` is read with max(), not sum().
   */
  detached: number | undefined;

  constructor(
    private readonly ctx: RouterContext,
    /** Every this many rounds, every record is checked for orphans (see `orphans`). */
    private readonly fullScanEvery = 12,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.reap(), this.ctx.config.edge.sm.reapIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns how many sessions it ended. */
  async reap(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let ended = 0;
    try {
      this.detached = undefined;
      const ids = await this.ctx.resumable.detachedIds();
      let endedNow = 0;
      for (const id of ids) {
        if (await this.endIfExpired(id)) endedNow++;
      }
      this.detached = ids.length - endedNow;
      ended += endedNow;
      if (this.rounds++ % this.fullScanEvery === 0) ended += await this.orphans();
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message }, 'resumable session reaping failed; next round retries');
    } finally {
      this.running = false;
    }
    return ended;
  }

  /**
   * A record `attached` to an edge that is not alive, whose registry record is gone or names
   * another session, is an orphan: its edge died and a fresh login bound the same resource (replacing the registry record) before the
   * dead-edge sweep saw it. Nobody would ever resume or end it; its queue is routed again now.
   */
  private async orphans(): Promise<number> {
    let ended = 0;
    const edges = await this.ctx.bus.kv(buckets.edges, { ttlMs: 3 * this.ctx.config.bus.heartbeatMs });
    for (const id of await this.ctx.resumable.ids()) {
      const cur = await this.ctx.resumable.get(id);
      if (!cur || cur.record.state !== 'attached') continue;
      const session = await this.ctx.registry.get(cur.record.jid);
      if (session?.sessionId === id) continue;
      // Only on a dead edge: a live edge's session is never ended here (a cache a moment behind must not do it).
      if (await edges.get(keys.edge(cur.record.edgeId))) continue;
      const revision = cur.revision;
      if (await this.end(id, 'orphaned', (r) => r.state === 'attached', revision)) ended++;
    }
    return ended;
  }

  private endIfExpired(id: string): Promise<boolean> {
    return this.end(id, 'timeout', (r, now) => r.state !== 'attached' && r.expiresAtMs <= now);
  }

  private end(id: string, reason: string, accept: (r: ResumableRecord, now: number) => boolean, revision?: number): Promise<boolean> {
    const { bus, registry, resumable, config, logger } = this.ctx;
    return endResumable(
      {
        bus,
        registry,
        store: resumable,
        partitions: config.bus.partitions,
        routeTimeoutMs: config.edge.routeTimeoutMs,
        logger,
        lastResort: () => Promise.reject(new Error('no router took it back')),
      },
      id,
      reason,
      accept,
      revision,
    );
  }
}
