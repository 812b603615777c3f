import type { Logger } from '#libs/telemetry';
import type { Delivery } from '#libs/bus';
import type { SessionInfo, SessionRegistry } from '#libs/sessions';
import { tryParseJid } from '#libs/jid';
import type { Element } from '#libs/xml';

/** A session to write to: its full JID and where it is held. */
export type SessionAt = Pick<SessionInfo, 'jid' | 'edgeId' | 'sessionId'>;

/**
 * Sends a server-made stanza to a JID: a full JID's session when it is available; a bare JID's
 * available resources of non-negative priority (RFC 6121 §8.5.2.1.1, as for headlines). Remote
 * domains are not reached yet (no federation): logged at debug.
 */
export class Recipients {
  constructor(
    private readonly registry: SessionRegistry,
    private readonly delivery: Delivery,
    private readonly localDomains: readonly string[],
    private readonly logger: Logger,
  ) {}

  async send(to: string, el: Element): Promise<void> {
    const jid = tryParseJid(to);
    if (!jid) return;
    if (!this.localDomains.includes(jid.domain)) return void this.logger.debug({ to }, 'pubsub event for a remote JID not sent (no federation)');
    const sessions = jid.resource
      ? [await this.registry.get(to)].filter((s): s is SessionInfo => s?.available === true)
      : (await this.registry.ofUser(to)).filter((s) => s.available && s.priority >= 0);
    await Promise.all(sessions.map((s) => this.toSession(s, el)));
  }

  async toSession(s: SessionAt, el: Element): Promise<void> {
    const out = await this.delivery.element(el.clone().setAttr('to', s.jid), s);
    if (!out.ok) this.logger.debug({ to: s.jid, reason: out.reason }, 'pubsub event not delivered');
  }
}
