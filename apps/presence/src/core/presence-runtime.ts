import {
  Delivery,
  PartitionedConsumer,
  buckets,
  envelopeOf,
  traced,
  decodeFrame,
  encodeAck,
  encodeFrame,
  partitionOf,
  subjects,
  type BusMessage,
  type SessionEvent,
  type StanzaEnvelope,
} from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import type { SessionInfo } from '#libs/sessions';
import { StanzaError, errorReply, iqResult } from '#libs/stanza';
import type { RosterChange, RosterItem } from '#libs/storage';
import { parseElement, reparseLimits, type Element, type XmlLimits } from '#libs/xml';
import { Hooks, loadFeatures, type FeatureDefinition, type LoadedFeatures, type Registration } from '#libs/xmpp-kit';
import { REPLIED, type PresenceContext, type PresenceDeps, type PresenceIqHandler, type PresenceStats } from '../presence.context.js';
import type { PresenceHooks } from '../presence.hooks.js';
import { DirectedPresence } from './directed-presence.js';
import { PresenceStanza } from './presence-stanza.js';

const ACK_TAKEN = encodeAck({ taken: true });

/**
 * The presence service of one process: owns a share of the `presenceIn` partitions and handles each
 * partition's frames serially. Frames with an `origin` come from a local user's session (through the
 * router); frames without one are inbound for the local user in `to` (federation, later).
 */
export class PresenceRuntime implements PresenceContext {
  readonly config;
  readonly logger;
  readonly bus;
  readonly storage;
  readonly registry;
  readonly instanceId;
  readonly hooks: Hooks<PresenceHooks>;
  private reparse: XmlLimits | undefined;
  readonly delivery: Delivery;
  readonly directed = new DirectedPresence();
  readonly stats: PresenceStats = { stanzas: 0, rosterPushes: 0 };
  private readonly domains: Set<string>;
  private readonly iqHandlers = new Map<string, PresenceIqHandler>();
  private consumer: PartitionedConsumer | undefined;
  private loaded: LoadedFeatures | undefined;

  constructor(deps: PresenceDeps) {
    this.config = deps.config;
    this.logger = deps.logger;
    this.bus = deps.bus;
    this.storage = deps.storage;
    this.registry = deps.registry;
    this.instanceId = deps.instanceId;
    this.hooks = new Hooks<PresenceHooks>(deps.logger);
    this.delivery = new Delivery(deps.bus);
    this.domains = new Set(deps.config.domains);
  }

  async start(features: FeatureDefinition<PresenceContext, any>[]): Promise<void> {
    this.loaded = await loadFeatures<PresenceContext>(this, features, this.config.features);
    this.consumer = new PartitionedConsumer(this.bus, {
      id: this.instanceId,
      partitions: this.config.bus.partitions,
      subject: (p) => subjects.presenceIn(p),
      membersBucket: buckets.presence,
      heartbeatMs: this.config.bus.heartbeatMs,
      handler: (_p, msg) => this.onMessage(msg),
      logger: this.logger,
    });
    await this.consumer.start();
    this.logger.info({ features: this.loaded.names, instance: this.instanceId }, 'presence started');
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.loaded?.stop();
  }

  ownedPartitions(): number[] {
    return this.consumer?.owned() ?? [];
  }

  registerIq(type: 'get' | 'set', ns: string, handler: PresenceIqHandler): Registration {
    const key = `${type} ${ns}`;
    if (this.iqHandlers.has(key)) throw new Error(`iq ${key} is already handled`);
    this.iqHandlers.set(key, handler);
    return () => this.iqHandlers.delete(key);
  }

  isLocalDomain(domain: string): boolean {
    return this.domains.has(domain);
  }

  /** Re-reads a stanza the edge accepted: escaping may have grown it (libs/xml reparseLimits). */
  parseXml(text: string): Element {
    return parseElement(text, (this.reparse ??= reparseLimits(this.config.edge.limits)));
  }

  async route(el: Element): Promise<void> {
    const to = tryParseJid(el.attrs.to ?? '');
    const from = tryParseJid(el.attrs.from ?? '');
    if (!to || !from) return;
    if (!this.isLocalDomain(to.domain)) {
      this.logger.debug({ to: to.domain, type: el.attrs.type }, 'presence to a remote domain dropped (no federation yet)');
      return;
    }
    if (!to.local) return; // presence to the server itself: nothing to do
    const st = new PresenceStanza(envelopeOf(el), from, to, (x) => this.parse(x), el);
    await this.hooks.run('presence:inbound', { stanza: st });
  }

  async toAvailableResources(bare: string, el: Element, except?: string): Promise<SessionInfo[]> {
    const sessions = (await this.registry.ofUser(bare)).filter((s) => s.available && s.jid !== except);
    for (const s of sessions) this.delivery.element(el.clone().setAttr('to', s.jid), s);
    return sessions;
  }

  reply(st: PresenceStanza, el: Element): void {
    const origin = st.env.origin;
    if (origin?.edgeId) this.delivery.element(el, origin);
  }

  async modifyRoster(
    owner: string,
    contact: string,
    mutate: (current: RosterItem | undefined) => RosterItem | undefined,
  ): Promise<RosterChange | undefined> {
    const change = await this.storage.rosters.modify(owner, contact, mutate);
    if (change) await this.hooks.run('roster:changed', { owner, change });
    return change;
  }

  announceAvailable(session: SessionInfo): void {
    const bare = session.jid.slice(0, session.jid.indexOf('/'));
    const frame = encodeFrame({
      session: { kind: 'AVAILABLE', jid: session.jid, session: { edgeId: session.edgeId, sessionId: session.sessionId } },
    });
    // Not awaited: the router of this user may be waiting for us right now (it forwarded the presence).
    this.bus
      .request(subjects.routerIn(partitionOf(bare, this.config.bus.partitions)), frame, { timeoutMs: this.config.bus.requestTimeoutMs })
      .catch((err: Error) => this.logger.warn({ err: err.message, jid: session.jid }, 'router did not take AVAILABLE; offline messages wait for the next login'));
  }

  async userExists(bare: string): Promise<boolean> {
    const jid = tryParseJid(bare);
    if (!jid?.local) return false;
    return (await this.storage.accounts.get(jid.local, jid.domain)) !== undefined;
  }

  private async onMessage(msg: BusMessage): Promise<void> {
    let ack = ACK_TAKEN;
    try {
      const frame = decodeFrame(msg.data);
      if (frame.stanza) await traced('glider-presence', 'presence.handle', frame.stanza, () => this.onStanza(frame.stanza!));
      else if (frame.session) await this.onSession(frame.session);
    } catch (err) {
      this.logger.error({ err, subject: msg.subject }, 'presence frame failed');
      ack = encodeAck({ taken: false, error: (err as Error).message });
    }
    if (msg.replyExpected) msg.respond(ack);
  }

  private async onStanza(env: StanzaEnvelope): Promise<void> {
    this.stats.stanzas++;
    const from = tryParseJid(env.from);
    const to = env.to ? tryParseJid(env.to) : undefined;
    if (!from || (env.to && !to)) return;
    const st = new PresenceStanza(env, from, to, (x) => this.parse(x));
    if (env.kind === 'IQ') return this.onIq(st);
    if (env.kind !== 'PRESENCE') return;
    if (env.origin?.edgeId) await this.hooks.run('presence:outbound', { stanza: st });
    else if (to && this.isLocalDomain(to.domain)) await this.hooks.run('presence:inbound', { stanza: st });
  }

  private async onSession(ev: SessionEvent): Promise<void> {
    if (ev.kind === 'ENDED') await this.hooks.run('session:ended', { event: ev });
  }

  /** Protocol errors are values; an exception becomes internal-server-error (STYLE.md §4). */
  private async onIq(st: PresenceStanza): Promise<void> {
    const iq = st.element();
    const type = iq.attrs.type;
    if (type !== 'get' && type !== 'set') return;
    const payload = iq.elements()[0];
    const handler = payload && this.iqHandlers.get(`${type} ${payload.xmlns}`);
    let answer: Element | undefined | StanzaError | typeof REPLIED;
    if (!handler || iq.elements().length !== 1) answer = new StanzaError(handler ? 'bad-request' : 'service-unavailable');
    else {
      try {
        answer = await handler(st, iq, payload);
      } catch (err) {
        this.logger.error({ err, stanzaId: st.env.id }, 'iq handler failed');
        answer = new StanzaError('internal-server-error');
      }
    }
    if (answer === REPLIED) return;
    const reply = answer instanceof StanzaError ? errorReply(iq, answer) : iqResult(iq, answer);
    if (reply) this.reply(st, reply);
  }

  private parse(xml: Uint8Array): Element {
    return this.parseXml(Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8'));
  }
}
