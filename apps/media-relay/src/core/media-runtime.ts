import type { Serves } from '#libs/addressing';
import { buckets, traced, type Frame, type StanzaEnvelope } from '#libs/bus';
import { tryParseJid, type Jid } from '#libs/jid';
import { PartitionedService } from '#libs/runtime';
import { StanzaError, errorReply } from '#libs/stanza';
import type { Element } from '#libs/xml';
import { IqDispatcher } from '#libs/xmpp-kit';
import type { ComponentHandle, MediaComponent, MediaContext, MediaDeps, MediaIqRequest, MediaStats } from '../media-relay.context.js';
import type { MediaHooks } from '../media-relay.hooks.js';
import { Components } from './components.js';

/**
 * The media-relay service of one process. It declares the component domains its features added
 * (upload.<domain>, proxy.<domain>) and the server IQs they registered, so the router sends it the
 * stanzas addressed there; it answers IQs and leaves the bytes (HTTP, SOCKS5, TURN) to the
 * features' own listeners. Every instance serves every component: the partition only orders IQs.
 */
export class MediaRuntime extends PartitionedService<MediaHooks> implements MediaContext {
  readonly stats: MediaStats = { stanzas: 0 };
  readonly serverIq: IqDispatcher<MediaIqRequest>;
  private readonly registry_: Components;
  readonly components: { add(c: MediaComponent): ComponentHandle };

  constructor(deps: MediaDeps) {
    super(deps, { name: 'media', membersBucket: buckets.media });
    this.serverIq = new IqDispatcher<MediaIqRequest>(deps.logger);
    this.registry_ = new Components(deps.config.domains, deps.logger);
    this.components = { add: (c) => this.registry_.add(c) };
  }

  protected serves(): Serves {
    return { domains: this.registry_.domains(), serverIq: this.serverIq.claims().server, discoFeatures: this.loaded?.discoFeatures ?? [] };
  }

  /** Component domains served now (tests, the README's promise that disco lists only these). */
  componentDomains(): string[] {
    return this.registry_.domains();
  }

  async reply(req: MediaIqRequest, el: Element): Promise<void> {
    const origin = req.env.origin;
    if (!origin?.edgeId) {
      this.logger.debug({ to: el.attrs.to }, 'media reply to a stanza without a session origin not sent');
      return;
    }
    const outcome = await this.delivery.element(el, origin);
    if (!outcome.ok) this.logger.debug({ to: el.attrs.to, reason: outcome.reason }, 'media reply not delivered');
  }

  protected async onFrame(frame: Frame): Promise<void> {
    if (frame.stanza) await traced('glider-media', 'media.handle', frame.stanza, () => this.onStanza(frame.stanza!));
  }

  private async onStanza(env: StanzaEnvelope): Promise<void> {
    this.stats.stanzas++;
    const from = tryParseJid(env.from);
    const to = tryParseJid(env.to);
    if (!from || !to) return;
    const el = this.parse(env.xml);
    if (env.kind !== 'IQ') return this.notIq(env, el, to);
    const component = to.local || to.resource ? undefined : this.registry_.match(to.domain);
    if (component) return this.dispatch(component.iq, el, env, from, to, component.domain);
    if (!to.local && !to.resource && this.config.domains.includes(to.domain)) return this.dispatch(this.serverIq, el, env, from, to, to.domain);
    await this.answerError(env, el, new StanzaError('service-unavailable', { text: `${to.toString()} is not served by media-relay` }));
  }

  private async dispatch(iq: IqDispatcher<MediaIqRequest>, el: Element, env: StanzaEnvelope, from: Jid, to: Jid, domain: string): Promise<void> {
    const req = (payload: Element): MediaIqRequest => ({ iq: el, payload, from, to, domain, env });
    await iq.dispatch(el, 'server', req, (reply) => this.reply(req(el), reply));
  }

  /** Components take IQs only: a chat message gets service-unavailable (RFC 6120 §10.3); presence is ignored. */
  private async notIq(env: StanzaEnvelope, el: Element, to: Jid): Promise<void> {
    if (env.kind !== 'MESSAGE' || ['error', 'headline', 'groupchat'].includes(env.type)) return;
    await this.answerError(env, el, new StanzaError('service-unavailable', { text: `${to.toString()} takes no messages` }));
  }

  private async answerError(env: StanzaEnvelope, el: Element, err: StanzaError): Promise<void> {
    const reply = errorReply(el, err);
    const from = tryParseJid(env.from);
    const to = tryParseJid(env.to);
    if (reply && from && to) await this.reply({ iq: el, payload: el, from, to, domain: to.domain, env }, reply);
  }
}
