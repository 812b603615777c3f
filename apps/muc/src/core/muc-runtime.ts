import type { Serves } from '#libs/addressing';
import { buckets, encodeFrame, envelopeOf, partitionOf, requestRetrying, subjects, traced, type Frame, type StanzaEnvelope } from '#libs/bus';
import type { MucConfig } from '#libs/config';
import { tryParseJid, type Jid } from '#libs/jid';
import { PartitionedService, type FrameOutcome } from '#libs/runtime';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { IqDispatcher, type AnyFeature } from '#libs/xmpp-kit';
import type { MucContext, MucDeps, MucIqRequest, MucStanza } from '../muc.context.js';
import type { MucHooks } from '../muc.hooks.js';
import { Outbox, type RemoteExit } from './outbox.js';
import { RoomStore } from './room-store.js';

/** Counters behind the glider_muc_* metrics. */
export interface MucStats {
  stanzas: number;
  deliveries: number;
}

/**
 * The muc service of one process: declares `<subdomain>.<each local domain>`, so the router (and
 * presence, for directed presence) sends it every stanza addressed there, keyed by the room JID;
 * each room therefore lives in one partition, owned by one replica at a time, and is handled
 * serially. A frame loads the room, runs the features' handlers, saves what changed, and sends what
 * they queued; the sender's Ack waits for those deliveries (docs/architecture.md).
 */
export class MucRuntime extends PartitionedService<MucHooks> implements MucContext {
  readonly muc: MucConfig;
  readonly rooms: RoomStore;
  readonly stats: MucStats = { stanzas: 0, deliveries: 0 };
  readonly serviceIq: IqDispatcher<MucIqRequest>;
  readonly roomIq: IqDispatcher<MucIqRequest>;
  readonly occupantIq: IqDispatcher<MucIqRequest>;
  private readonly serviceDomains: Map<string, string>;
  /** Stanzas for occupants of other domains go to the router (s2s), not to a session of ours. */
  private readonly remoteExit: RemoteExit;
  private evictTimer?: NodeJS.Timeout;

  constructor(deps: MucDeps) {
    super(deps, { name: 'muc', membersBucket: buckets.muc, heartbeatMs: deps.config.muc.heartbeatMs });
    this.muc = deps.config.muc;
    this.rooms = new RoomStore(deps.bus, deps.storage, this.muc, deps.config.bus.partitions, deps.logger);
    this.serviceIq = new IqDispatcher<MucIqRequest>(deps.logger);
    this.roomIq = new IqDispatcher<MucIqRequest>(deps.logger);
    this.occupantIq = new IqDispatcher<MucIqRequest>(deps.logger);
    this.serviceDomains = new Map(deps.config.domains.map((d) => [`${this.muc.subdomain}.${d}`, d]));
    const local = new Set(deps.config.domains);
    this.remoteExit = { isLocal: (d) => local.has(d), route: (env) => this.routeEnvelope(env) };
  }

  override async start(features: AnyFeature<this>[]): Promise<void> {
    await this.rooms.start();
    await super.start(features);
    this.evictTimer = setInterval(() => this.rooms.evict(new Set(this.ownedPartitions())), this.muc.heartbeatMs);
    this.evictTimer.unref();
  }

  override async stop(): Promise<void> {
    clearInterval(this.evictTimer);
    await super.stop();
  }

  protected serves(): Serves {
    return { domains: [...this.serviceDomains.keys()] };
  }

  /** The service domains (conference.<domain>). */
  domains(): string[] {
    return [...this.serviceDomains.keys()];
  }

  roomFeatures(): string[] {
    return this.loaded?.discoFeatures ?? [];
  }

  isServiceAdmin(bare: string): boolean {
    return this.config.admin.jids.includes(bare);
  }

  async route(el: Element): Promise<void> {
    return this.routeEnvelope(envelopeOf(el));
  }

  /** Hands a stanza to the router of its addressee's partition (offline storage, another domain, a bounce). */
  private async routeEnvelope(env: StanzaEnvelope): Promise<void> {
    const to = tryParseJid(env.to);
    if (!to) return;
    const frame = encodeFrame({ stanza: env });
    try {
      await requestRetrying(this.bus, subjects.routerIn(partitionOf(to.bare().toString(), this.config.bus.partitions)), frame, {
        timeoutMs: this.config.bus.requestTimeoutMs,
      });
    } catch (err) {
      this.logger.warn({ to: env.to, err: (err as Error).message }, 'muc stanza to a user not routed');
    }
  }

  reply(st: MucStanza, reply: Element | undefined): void {
    if (reply) st.out.send(reply, st.from.toString());
  }

  protected async onFrame(frame: Frame): Promise<void | FrameOutcome> {
    if (!frame.stanza) return;
    return traced('glider-muc', 'muc.handle', frame.stanza, () => this.onStanza(frame.stanza!));
  }

  private async onStanza(env: StanzaEnvelope): Promise<void | FrameOutcome> {
    this.stats.stanzas++;
    const from = tryParseJid(env.from);
    const to = tryParseJid(env.to);
    if (!from || !to || !this.serviceDomains.has(to.domain)) return;
    const el = this.parse(env.xml);
    const out = new Outbox();
    const room = to.local ? await this.rooms.open(to.bare().toString()) : undefined;
    const st: MucStanza = { el, from, to, env, room, out };
    try {
      await this.dispatch(st);
      const saved = st.touched ?? room;
      if (saved) await this.rooms.save(saved);
    } catch (err) {
      // handlers change the cached live state in place: a frame that fails leaves none of it
      if (to.local) this.rooms.forget(to.bare().toString());
      if (st.touched) this.rooms.forget(st.touched.jid);
      throw err;
    }
    if (out.size === 0) return;
    this.stats.deliveries += out.size;
    const { settled } = await out.flush(this.registry, this.delivery, this.muc.fanoutBatchMax, this.remoteExit, this.muc.fanoutShared);
    return { settled: settled.then((gone) => this.sessionsGone(to, gone)) };
  }

  private async dispatch(st: MucStanza): Promise<void> {
    const { el, to } = st;
    if (el.name === 'iq') return this.onIq(st);
    if (!to.local) return this.toService(st);
    if (el.name === 'presence') {
      if ((await this.hooks.run('room-presence', st)) === 'continue') this.reply(st, errorReply(el, 'service-unavailable'));
      return;
    }
    if (el.name !== 'message') return;
    const hook = to.resource ? 'occupant-message' : 'room-message';
    if ((await this.hooks.run(hook, st)) === 'continue') this.reply(st, errorReply(el, st.room ? 'bad-request' : 'item-not-found'));
  }

  private async onIq(st: MucStanza): Promise<void> {
    const type = st.el.attrs.type;
    if (st.to.local && st.to.resource) {
      const ns = st.el.elements()[0]?.attrs.xmlns;
      const handled = (type === 'get' || type === 'set') && this.occupantIq.find(type, ns, 'server');
      if (!handled && (await this.hooks.run('occupant-iq', st)) === 'stop') return;
    }
    if (type === 'result' || type === 'error') return;
    const dispatcher = !st.to.local ? this.serviceIq : st.to.resource ? this.occupantIq : this.roomIq;
    const req = (payload: Element): MucIqRequest => ({ ...st, iq: st.el, payload });
    // A handler may create or load a room (touched) through the request object it got.
    let made: MucIqRequest | undefined;
    await dispatcher.dispatch(
      st.el,
      'server',
      (payload) => (made = req(payload)),
      (reply) => this.reply(st, reply),
    );
    if (made?.touched) st.touched = made.touched;
    if (made?.room && made.room !== st.room) st.touched = made.room;
  }

  /** The service domain takes IQs only (XEP-0045 §6); a chat message gets service-unavailable. */
  private toService(st: MucStanza): void {
    if (st.el.name === 'message' && !['error', 'headline', 'groupchat'].includes(st.el.attrs.type ?? '')) {
      this.reply(st, errorReply(st.el, new StanzaError('service-unavailable', { text: `${st.to.toString()} takes no messages` })));
    }
  }

  /**
   * Sessions a delivery found gone are taken out of the room as if they had left, through the room's
   * own partition (so in order with everything else), with status 333 (XEP-0045 §7.14, 1.35).
   */
  private sessionsGone(room: Jid, gone: string[]): void {
    for (const jid of gone) {
      this.logger.info({ room: room.bare().toString(), jid }, 'occupant session gone: removing it from the room (status 333)');
      const leave = xml(
        'presence',
        { from: jid, to: `${room.bare().toString()}/_`, type: 'unavailable' },
        xml('x', { xmlns: NS.mucUser }, xml('status', { code: '333' })),
      );
      const frame = encodeFrame({ stanza: envelopeOf(leave) });
      this.bus
        .request(subjects.serviceIn(this.serviceName, partitionOf(room.bare().toString(), this.config.bus.partitions)), frame, {
          timeoutMs: this.config.bus.requestTimeoutMs,
        })
        .catch((err: unknown) => this.logger.debug({ err: (err as Error).message, jid }, 'gone occupant not removed'));
    }
  }
}
