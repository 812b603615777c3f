import type { SessionEvent } from '#libs/bus';
import type { Jid } from '#libs/jid';
import type { PepPublished, PepRetracted } from '#libs/pubsub';
import type { SessionInfo } from '#libs/sessions';
import type { RosterChange } from '#libs/storage';
import type { PresenceStanza } from './core/presence-stanza.js';

/** What presence features react to (STYLE.md: one typed vocabulary per app). */
export interface PresenceHooks {
  /** Presence from a local user's session (RFC 6121 §3 outbound subscriptions, §4 presence). */
  'presence:outbound': { stanza: PresenceStanza };
  /**
   * A session's available presence (without `to`) is recorded in the session registry: what reads a
   * session's last presence (PEP notifications: its caps) sees this one from now on.
   */
  'presence:recorded': { stanza: PresenceStanza; session: SessionInfo };
  /** Presence addressed to a local user by another entity (inbound subscriptions, probes, presence). */
  'presence:inbound': { stanza: PresenceStanza };
  /** A roster item changed (stored): features push it (RFC 6121 §2.1.6). */
  'roster:changed': { owner: string; change: RosterChange };
  /**
   * Presence from `from` to `to` is about to be routed or delivered (ctx.route, probe answers). A
   * handler that returns 'stop' drops it silently: XEP-0191 blocking (§3.5: presence never errors).
   */
  'presence:filter': { from: Jid; to: Jid };
  /** An item was published to a local account's PEP node in this process (XEP-0398 and the like react). */
  'pep:published': PepPublished;
  /** An item was retracted from a local account's PEP node in this process (notified or not). */
  'pep:retracted': PepRetracted;
  /** A session ended (stream closed or its edge died). */
  'session:ended': { event: SessionEvent };
}
