import { buckets, encodeFrame, untoken, type KvBucket } from '#libs/bus';
import type { RouterContext } from '../router.context.js';
import { detachResumable } from './sm-reaper.js';

/**
 * Ends the sessions of dead edges (architecture.md, "Dead edges"): an edge that stopped putting its
 * heartbeat in `glider_edges` for two sweeps in a row is dead. Every router sweeps; the registry's
 * compare-and-set remove lets only one of them win each session, and only the winner publishes ENDED.
 *
 * A bus outage (nats-server restarted) silences every edge at once, and their heartbeats may expire
 * meanwhile (nats-server also expires keys by age when it starts again). So while its own bus is
 * away, and for bus.outageGraceMs after it came back, a router counts no edge as missing: the edges
 * reconnect and heartbeat again first (docs/reliability.md, "Bus outages").
 */
export class EdgeSweeper {
  private timer: NodeJS.Timeout | undefined;
  private edges: KvBucket | undefined;
  private sessions: KvBucket | undefined;
  /** Edges seen alive, and edges found missing once (dead when missing twice). */
  private readonly known = new Set<string>();
  private readonly missingOnce = new Set<string>();
  private sweeping = false;
  private rounds = 0;
  /** True while sweeps are held off after an outage (to log its start and end once). */
  private holding = false;

  constructor(
    private readonly ctx: RouterContext,
    /** Every this many sweeps, every session's edge is checked (catches edges this router never saw). */
    private readonly fullScanEvery = 10,
  ) {}

  async start(): Promise<void> {
    const ttlMs = 3 * this.ctx.config.bus.heartbeatMs;
    this.edges = await this.ctx.bus.kv(buckets.edges, { ttlMs });
    this.sessions = await this.ctx.bus.kv(buckets.sessions);
    this.timer = setInterval(() => void this.sweep(), this.ctx.config.bus.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    if (this.sweeping || !this.edges || !this.sessions) return;
    if (this.holdOff()) return;
    this.sweeping = true;
    try {
      const alive = new Set((await this.edges.keys()).map(untoken));
      for (const id of alive) this.known.add(id);
      const candidates = new Set(this.known);
      if (this.rounds++ % this.fullScanEvery === 0) for (const id of await this.sessionEdges()) candidates.add(id);
      for (const id of candidates) {
        if (alive.has(id)) {
          this.missingOnce.delete(id);
          continue;
        }
        if (!this.missingOnce.has(id)) {
          this.missingOnce.add(id);
          continue;
        }
        await this.endSessionsOf(id);
      }
    } catch (err) {
      this.ctx.logger.warn({ err }, 'dead-edge sweep failed; next round retries');
    } finally {
      this.sweeping = false;
    }
  }

  /** True while the bus is away or came back less than bus.outageGraceMs ago; forgets edges missed before. */
  private holdOff(): boolean {
    const { bus, config, logger } = this.ctx;
    const back = bus.lastReconnectAt();
    const away = bus.health() !== undefined;
    const hold = away || (back !== undefined && performance.now() - back < config.bus.outageGraceMs);
    if (hold) {
      // A miss counted before or during the outage says nothing about the edge: start over.
      this.missingOnce.clear();
      if (!this.holding) logger.info({ outageGraceMs: config.bus.outageGraceMs }, 'bus outage: dead-edge sweep held off until the edges are back');
    } else if (this.holding) {
      logger.info('dead-edge sweep resumed after the bus outage');
    }
    this.holding = hold;
    return hold;
  }

  private async sessionEdges(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const key of await this.sessions!.keys()) {
      const [bareTok, resTok] = key.split('.');
      if (!bareTok || !resTok) continue;
      const s = await this.ctx.registry.get(`${untoken(bareTok)}/${untoken(resTok)}`);
      if (s) ids.add(s.edgeId);
    }
    return ids;
  }

  private async endSessionsOf(edgeId: string): Promise<void> {
    const sessions = this.ctx.registry.onEdge(edgeId);
    let kept = 0;
    for (const s of sessions) {
      if (await detachResumable(this.ctx, s.sessionId, edgeId, s)) {
        kept++;
        continue;
      }
      const removed = await this.ctx.registry.remove(s.jid, s.sessionId);
      if (!removed) continue;
      const bare = s.jid.slice(0, s.jid.indexOf('/'));
      const frame = encodeFrame({
        session: { kind: 'ENDED', jid: s.jid, session: { edgeId, sessionId: s.sessionId }, wasAvailable: removed.available },
      });
      // To whichever service holds the account's presence (the addressing table), to broadcast unavailable.
      const presence = this.ctx.addressing.presenceOf(bare);
      if (presence) this.ctx.bus.publish(presence.subject, frame);
      else this.ctx.logger.warn({ jid: s.jid }, 'no presence service running: the end of a swept session is not broadcast');
    }
    if (this.ctx.registry.onEdge(edgeId).length <= kept) {
      this.known.delete(edgeId);
      this.missingOnce.delete(edgeId);
      this.ctx.logger.info({ edgeId, sessions: sessions.length, detached: kept }, 'dead edge swept');
    }
  }
}
