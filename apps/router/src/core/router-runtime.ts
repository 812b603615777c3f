import { context, propagation } from '@opentelemetry/api';
import type { Address, Serves } from '#libs/addressing';
import { envelopeOf, traced, buckets, type BusMessage, type SessionEvent, type StanzaEnvelope, type Frame } from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import { ResumableStore } from '#libs/sessions';
import type { Subscription } from '#libs/storage';
import type { Element } from '#libs/xml';
import { PartitionedService, type FrameOutcome } from '#libs/runtime';
import { IqDispatcher } from '#libs/xmpp-kit';
import type { RouterContext, RouterDeps, RouterStats } from '../router.context.js';
import type { RouterHooks } from '../router.hooks.js';
import type { IqRequest } from './iq-dispatcher.js';
import { StanzaError, errorReply } from '#libs/stanza';
import { RoutedStanza } from './routed-stanza.js';
import { route, type ServiceExit } from './routing.js';
import { ServiceLanes } from './service-lanes.js';
import { settleDeliveries } from './acked-delivery.js';
import { DiscoNodes } from './disco-nodes.js';

/**
 * The router of one process: owns a share of the `routerIn` partitions, routes each partition's
 * stanzas serially through the routing chain, and acknowledges the edge once a stanza is delivered,
 * stored or bounced (architecture.md).
 */
export class RouterRuntime extends PartitionedService<RouterHooks> implements RouterContext {
  readonly iq: IqDispatcher<IqRequest>;
  readonly startedAt = new Date();
  readonly stats: RouterStats = { routed: 0, bounced: 0, offlineStored: 0, offlineDelivered: 0, rerouted: 0 };
  readonly resumable: ResumableStore;
  readonly discoNodes = new DiscoNodes();
  readonly accountDisco = { features: new Set<string>() };

  /** A sender's stanzas to services, pipelined in order (core/service-lanes.ts). */
  private readonly lanes: ServiceLanes;
  private readonly exit: ServiceExit;

  constructor(deps: RouterDeps) {
    super(deps, { name: 'router', membersBucket: buckets.routers, deliveryBatchMax: deps.config.router.deliveryBatchMax });
    this.lanes = new ServiceLanes(deps.bus, { timeoutMs: deps.config.bus.requestTimeoutMs, batchMax: deps.config.router.forwardBatchMax }, deps.logger);
    this.exit = { forward: (st, to) => this.forward(st, to), idle: (sender) => this.lanes.idle(sender) };
    this.resumable = new ResumableStore(deps.bus);
    this.iq = new IqDispatcher<IqRequest>(deps.logger);
  }

  /** Every router answers the IQs its features registered, on the server and on accounts. */
  protected serves(): Serves {
    const claims = this.iq.claims();
    return {
      serverIq: claims.server,
      accountIq: claims.account,
      discoFeatures: this.loaded?.discoFeatures ?? [],
      accountDiscoFeatures: [...this.accountDisco.features].sort(),
    };
  }

  discoFeatures(): string[] {
    return this.addressing.discoFeatures();
  }

  async reply(st: RoutedStanza, el: Element): Promise<void> {
    const origin = st.env.origin;
    if (origin?.edgeId && el.attrs.to === st.env.from) {
      await this.delivery.toSession(envelopeOf(el), origin);
      return;
    }
    // An answer to a remote sender (federation) goes out through the addressing table like any
    // stanza to another domain; only a local full JID is a session here.
    const to = tryParseJid(el.attrs.to ?? '');
    if (to && !this.config.domains.includes(to.domain)) {
      const routed = await this.route(envelopeOf(el));
      if (routed) await this.settled(routed);
      return;
    }
    await this.sendToResource(el);
  }

  async bounce(st: RoutedStanza, err: StanzaError): Promise<void> {
    const reply = errorReply(st.element(), err);
    if (!reply) return;
    this.stats.bounced++;
    await this.reply(st, reply);
  }

  async subscriptionOf(owner: string, contact: string): Promise<Subscription> {
    return (await this.storage.rosters.getItem(owner, contact))?.subscription ?? 'none';
  }

  /** A server-made stanza to a local full JID: to that session if it is still there. */
  private async sendToResource(el: Element): Promise<void> {
    const to = el.attrs.to;
    const session = to ? await this.registry.get(to) : undefined;
    if (session) await this.delivery.toSession(envelopeOf(el), session);
    else this.logger.debug({ to, name: el.name }, 'reply to a vanished session dropped');
  }

  /**
   * A stanza is routed in the partition's turn; its Ack to the sender's edge waits until the
   * deliveries it made are acknowledged or it was routed again (FrameOutcome), without holding up
   * the partition. The sender's edge sends a session's next stanza only after that Ack, so a
   * session's stanzas still arrive in order (RFC 6120 §10.1).
   */
  protected async onFrame(frame: Frame, msg: BusMessage): Promise<void | FrameOutcome> {
    if (frame.stanza) {
      const st = await traced('glider-router', 'router.route', frame.stanza, () => this.route(frame.stanza!));
      if (st && (st.deliveries.length > 0 || st.copies.length > 0 || st.writes.length > 0 || st.forwarded)) return { settled: this.settled(st) };
    } else if (frame.session) await this.onSession(frame.session);
    else this.logger.warn({ subject: msg.subject }, 'frame with no body this version knows; ignored');
  }

  /**
   * Resolves once every delivery `st` made was acknowledged, or the stanza was routed again, and
   * the service it was forwarded to took it (or it was bounced).
   */
  settled(st: RoutedStanza): Promise<void> {
    const delivered = settleDeliveries(this, st, (env, failed) => this.route(env, failed));
    if (st.copies.length === 0 && st.writes.length === 0 && !st.forwarded) return delivered;
    return Promise.all([delivered, ...st.copies, ...st.writes, st.forwarded]).then(() => undefined);
  }

  /**
   * Routes one stanza; an unexpected failure bounces it (wait, internal-server-error): never lost.
   * Returns the routed stanza (with its pending deliveries), or undefined when it was dropped.
   */
  async route(env: StanzaEnvelope, failed?: ReadonlySet<string>): Promise<RoutedStanza | undefined> {
    this.stats.routed++;
    const from = tryParseJid(env.from);
    if (!from) {
      this.logger.warn({ from: env.from, stanzaId: env.id }, 'stanza without a valid from dropped');
      return undefined;
    }
    const to = env.to ? tryParseJid(env.to) : from.bare();
    const st = new RoutedStanza(env, from, to ?? from.bare(), (xml) => this.parse(xml), failed);
    try {
      if (!to) {
        await this.bounce(st, new StanzaError('jid-malformed'));
        return st;
      }
      await route(st, this, this.exit);
    } catch (err) {
      this.logger.error({ err, stanzaId: env.id, kind: env.kind }, 'routing step failed; bouncing');
      if (st.name !== 'presence') await this.bounce(st, new StanzaError('internal-server-error', { type: 'wait' }));
      else throw err;
    }
    return st;
  }

  private async onSession(ev: SessionEvent): Promise<void> {
    if (ev.kind === 'DETACHED' && ev.session) return void (await this.hooks.run('session:detached', { jid: ev.jid, sessionId: ev.session.sessionId }));
    if (ev.kind !== 'AVAILABLE' || !ev.session) return;
    const session = await this.registry.get(ev.jid);
    if (!session || session.sessionId !== ev.session.sessionId) return; // gone meanwhile
    await this.hooks.run('session:available', { jid: ev.jid, session });
  }

  /**
   * Hands a stanza to the service the addressing table chose, on its sender's service lane
   * (core/service-lanes.ts); `st.forwarded` settles once that service took it, or once it was
   * bounced as when routing fails (presence is not bounced: the frame fails, as before).
   */
  private forward(st: RoutedStanza, to: Extract<Address, { kind: 'service' }>): void {
    const trace: { traceparent?: string; tracestate?: string } = {};
    propagation.inject(context.active(), trace);
    const env = trace.traceparent ? { ...st.env, ...trace } : st.env;
    st.forwarded = this.lanes.forward(st.env.from, env, to).catch(async (err: unknown) => {
      this.logger.error({ err, stanzaId: st.env.id, kind: st.env.kind, service: to.service }, 'service did not take the stanza; bouncing');
      if (st.name === 'presence') throw err;
      await this.bounce(st, new StanzaError('internal-server-error', { type: 'wait' }));
    });
    // `settled` reports a rejection to the sender's edge; a stanza routed again (not settled that
    // way) must not turn it into an unhandled rejection
    st.forwarded.catch(() => undefined);
  }
}
