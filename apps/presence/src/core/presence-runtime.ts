import type { Address, Serves } from '#libs/addressing';
import {
  buckets,
  decodeAck,
  encodeFrame,
  envelopeOf,
  partitionOf,
  requestRetrying,
  subjects,
  traced,
  type Frame,
  type SessionEvent,
  type StanzaEnvelope,
} from '#libs/bus';
import { tryParseJid, type Jid } from '#libs/jid';
import { PartitionedService } from '#libs/runtime';
import type { SessionInfo } from '#libs/sessions';
import { StanzaError, errorReply } from '#libs/stanza';
import type { RosterChange, RosterItem } from '#libs/storage';
import type { Element } from '#libs/xml';
import { PepService } from '#libs/pubsub';
import { IqDispatcher, type Registration } from '#libs/xmpp-kit';
import type { PresenceContext, PresenceDeps, PresenceIqRequest, PresenceStats } from '../presence.context.js';
import type { PresenceHooks } from '../presence.hooks.js';
import { DirectedPresence } from './directed-presence.js';
import { SharedContacts } from './shared-contacts.js';
import { PresenceStanza } from './presence-stanza.js';

/**
 * The presence service of one process: owns a share of the `presenceIn` partitions and handles each
 * partition's frames serially. Frames with an `origin` come from a local user's session (through the
 * router); frames without one are on their way in to the local user in `to`. Where presence goes
 * next is the addressing table's answer (libs/addressing), as for the router.
 */
export class PresenceRuntime extends PartitionedService<PresenceHooks> implements PresenceContext {
  readonly directed = new DirectedPresence();
  readonly sharedRoster = new SharedContacts();
  readonly stats: PresenceStats = { stanzas: 0, rosterPushes: 0 };
  readonly iq: IqDispatcher<PresenceIqRequest>;
  readonly pep: PepService;
  readonly accountDisco = { features: new Set<string>(), identities: new Set<string>() };
  private readonly domainHandlers = new Map<string, (st: PresenceStanza) => Promise<void>>();

  constructor(deps: PresenceDeps) {
    super(deps, { name: 'presence', membersBucket: buckets.presence });
    this.iq = new IqDispatcher<PresenceIqRequest>(deps.logger);
    this.pep = new PepService({ ...deps, delivery: this.delivery });
  }

  /** The presence of local accounts, the account IQs its features registered (the roster, PEP), the domains they serve. */
  protected serves(): Serves {
    return {
      accountPresence: true,
      accountIq: this.iq.claims().account,
      discoFeatures: this.loaded?.discoFeatures ?? [],
      domains: [...this.domainHandlers.keys()],
      accountDiscoFeatures: [...this.accountDisco.features].sort(),
      accountIdentities: [...this.accountDisco.identities].sort(),
    };
  }

  serveDomain(domain: string, handler: (st: PresenceStanza) => Promise<void>): Registration {
    if (this.domainHandlers.has(domain)) throw new Error(`domain ${domain} is already served`);
    this.domainHandlers.set(domain, handler);
    return () => void this.domainHandlers.delete(domain);
  }

  async route(el: Element, sent?: PresenceStanza): Promise<void> {
    const to = tryParseJid(el.attrs.to ?? '');
    const from = tryParseJid(el.attrs.from ?? '');
    if (!to || !from) return;
    if (!(await this.mayPass(from, to))) return;
    const address = this.addressing.resolve({ kind: 'presence', type: el.attrs.type ?? '', from, to, phase: 'deliver' });
    if (address.kind === 'service' && address.service === this.serviceName) {
      // No extra hop: inbound processing for a local account runs here at once (roster writes are atomic).
      const st = new PresenceStanza(envelopeOf(el), from, to, (x) => this.parse(x), el);
      await this.hooks.run('presence:inbound', { stanza: st });
    } else if (address.kind === 'service') await this.forward(el, address);
    else if (address.kind === 'bounce' && sent) {
      // The client's own presence cannot go where it asked: it learns why (RFC 6120 §10.4.3, §8.3.1).
      const bounce = errorReply(sent.element(), new StanzaError(address.condition, { text: address.text }));
      if (bounce) await this.reply(sent, bounce);
    } else this.logger.debug({ to: el.attrs.to, type: el.attrs.type, address: address.kind }, 'server-made presence not sent');
  }

  async mayPass(from: Jid, to: Jid): Promise<boolean> {
    return !this.hooks.has('presence:filter') || (await this.hooks.run('presence:filter', { from, to })) !== 'stop';
  }

  async toAvailableResources(bare: string, el: Element, except?: string): Promise<SessionInfo[]> {
    const sessions = (await this.registry.ofUser(bare)).filter((s) => s.available && s.jid !== except);
    await Promise.all(sessions.map(async (s) => this.delivery.element(el.clone().setAttr('to', s.jid), s)));
    return sessions;
  }

  async reply(st: PresenceStanza, el: Element): Promise<void> {
    const origin = st.env.origin;
    if (origin?.edgeId) await this.delivery.element(el, origin);
  }

  async modifyRoster(owner: string, contact: string, mutate: (current: RosterItem | undefined) => RosterItem | undefined): Promise<RosterChange | undefined> {
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
    requestRetrying(this.bus, subjects.routerIn(partitionOf(bare, this.config.bus.partitions)), frame, { timeoutMs: this.config.bus.requestTimeoutMs }).catch(
      (err: Error) => this.logger.warn({ err: err.message, jid: session.jid }, 'router did not take AVAILABLE; offline messages wait for the next login'),
    );
  }

  protected async onFrame(frame: Frame): Promise<void> {
    if (frame.stanza) await traced('glider-presence', 'presence.handle', frame.stanza, () => this.onStanza(frame.stanza!));
    else if (frame.session) await this.onSession(frame.session);
  }

  /** Presence for another service the table named (a MUC room, later s2s): handed on, acked. */
  private async forward(el: Element, to: Extract<Address, { kind: 'service' }>): Promise<void> {
    const frame = encodeFrame({ stanza: envelopeOf(el) });
    try {
      const ack = decodeAck(await requestRetrying(this.bus, to.subject, frame, { timeoutMs: this.config.bus.requestTimeoutMs }));
      if (!ack.taken) this.logger.warn({ service: to.service, error: ack.error }, 'service did not take a presence stanza');
    } catch (err) {
      this.logger.warn({ service: to.service, err: (err as Error).message }, 'presence for a service not delivered');
    }
  }

  private async onStanza(env: StanzaEnvelope): Promise<void> {
    this.stats.stanzas++;
    const from = tryParseJid(env.from);
    const to = env.to ? tryParseJid(env.to) : undefined;
    if (!from || (env.to && !to)) return;
    const st = new PresenceStanza(env, from, to, (x) => this.parse(x));
    const domain = to ? this.domainHandlers.get(to.domain) : undefined;
    if (domain) return domain(st); // a service host a feature serves (pubsub.<domain>)
    if (env.kind === 'IQ') return this.onIq(st);
    if (env.kind !== 'PRESENCE') return;
    // From a local session: the sender's side (roster, directed list), whose hooks route it on.
    if (env.origin?.edgeId) await this.hooks.run('presence:outbound', { stanza: st });
    else if (to) await this.route(st.element());
  }

  private async onSession(ev: SessionEvent): Promise<void> {
    if (ev.kind === 'ENDED') await this.hooks.run('session:ended', { event: ev });
  }

  /** The table sends presence the own-account IQs it declared: one dispatcher, as in the router. */
  private async onIq(st: PresenceStanza): Promise<void> {
    const iq = st.element();
    await this.iq.dispatch(
      iq,
      'account',
      (payload) => ({ stanza: st, iq, payload }),
      (reply) => this.reply(st, reply),
    );
  }
}
