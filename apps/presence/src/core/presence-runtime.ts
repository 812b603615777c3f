import {
  buckets,
  envelopeOf,
  traced,
  encodeFrame,
  partitionOf,
  subjects,
  type SessionEvent,
  type StanzaEnvelope,
  type Frame,
  requestRetrying,
} from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import type { SessionInfo } from '#libs/sessions';
import { StanzaError, errorReply, iqResult } from '#libs/stanza';
import type { RosterChange, RosterItem } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { Registration } from '#libs/xmpp-kit';
import { PartitionedService } from '#libs/runtime';
import { REPLIED, type PresenceContext, type PresenceDeps, type PresenceIqHandler, type PresenceStats } from '../presence.context.js';
import type { PresenceHooks } from '../presence.hooks.js';
import { DirectedPresence } from './directed-presence.js';
import { PresenceStanza } from './presence-stanza.js';

/**
 * The presence service of one process: owns a share of the `presenceIn` partitions and handles each
 * partition's frames serially. Frames with an `origin` come from a local user's session (through the
 * router); frames without one are inbound for the local user in `to` (federation, later).
 */
export class PresenceRuntime extends PartitionedService<PresenceHooks> implements PresenceContext {
  readonly directed = new DirectedPresence();
  readonly stats: PresenceStats = { stanzas: 0, rosterPushes: 0 };
  private readonly iqHandlers = new Map<string, PresenceIqHandler>();

  constructor(deps: PresenceDeps) {
    super(deps, { name: 'presence', subject: (p) => subjects.presenceIn(p), membersBucket: buckets.presence });
  }

  registerIq(type: 'get' | 'set', ns: string, handler: PresenceIqHandler): Registration {
    const key = `${type} ${ns}`;
    if (this.iqHandlers.has(key)) throw new Error(`iq ${key} is already handled`);
    this.iqHandlers.set(key, handler);
    return () => this.iqHandlers.delete(key);
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
    requestRetrying(this.bus, subjects.routerIn(partitionOf(bare, this.config.bus.partitions)), frame, { timeoutMs: this.config.bus.requestTimeoutMs })
      .catch((err: Error) => this.logger.warn({ err: err.message, jid: session.jid }, 'router did not take AVAILABLE; offline messages wait for the next login'));
  }


  protected async onFrame(frame: Frame): Promise<void> {
    if (frame.stanza) await traced('glider-presence', 'presence.handle', frame.stanza, () => this.onStanza(frame.stanza!));
    else if (frame.session) await this.onSession(frame.session);
  }

  private async onStanza(env: StanzaEnvelope): Promise<void> {
    this.stats.stanzas++;
    const from = tryParseJid(env.from);
    const to = env.to ? tryParseJid(env.to) : undefined;
    if (!from || (env.to && !to)) return;
    const st = new PresenceStanza(env, from, to, (x) => this.parse(x));
    if (env.kind === 'IQ') return this.onIq(st);
    if (env.kind !== 'PRESENCE') return;
    if (env.origin?.edgeId) {
      await this.hooks.run('presence:outbound', { stanza: st });
      // The hooks did the local part (roster, directed-presence list); the stanza itself cannot
      // leave: no federation yet, so it is bounced, not dropped (RFC 6120 §10.4.3, §8.3.1: never an error).
      if (to && !this.isLocalDomain(to.domain)) {
        const bounce = errorReply(st.element(), new StanzaError('remote-server-not-found', { text: `${to.domain} cannot be reached from here` }));
        if (bounce) this.reply(st, bounce);
      }
    } else if (to && this.isLocalDomain(to.domain)) await this.hooks.run('presence:inbound', { stanza: st });
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
}
