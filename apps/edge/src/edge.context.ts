import type { SecureContext } from 'node:tls';
import type { PasswordBackend, TokenBackend } from '#libs/auth';
import type { Bus } from '#libs/bus';
import type { GliderConfig } from '#libs/config';
import type { SessionRegistry } from '#libs/sessions';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import type { Hooks } from '#libs/xmpp-kit';
import type { EdgeHooks } from './edge.hooks.js';
import type { AuthThrottle } from './limits/auth-throttle.js';
import type { FailedLoginLog } from './limits/failed-login-log.js';
import type { C2sStream } from './stream/c2s-stream.machine.js';

/** What features and streams of one edge instance share. */
export interface EdgeContext {
  readonly config: GliderConfig;
  readonly edgeId: string;
  readonly logger: Logger;
  readonly hooks: Hooks<EdgeHooks>;
  readonly bus: Bus;
  readonly registry: SessionRegistry;
  readonly storage: Storage;
  /** Bound sessions on this edge, by session id (delivery and control look them up). */
  readonly sessions: Map<string, C2sStream>;
  readonly throttle: AuthThrottle;
  /** Where a domain's passwords are checked when not against stored SCRAM keys (a directory); undefined = local. */
  passwords(domain: string): PasswordBackend | undefined;
  /** The domain's single sign-on token checker (SASL OAUTHBEARER, sso.domains.<domain>.oidc); undefined = none. */
  tokens(domain: string): TokenBackend | undefined;
  /** Failed logins, rate-limited (edge.authFailures.log*). */
  readonly failedLogins: FailedLoginLog;
  /** The TLS context new handshakes use (replaced on certificate rotation). */
  secureContext(): SecureContext;
  /**
   * Waits (failed-login back-off: 'answer' before a failure is answered, 'gate' before an attempt
   * is checked); tests wrap it to observe the order of events.
   */
  delay(ms: number, why?: 'answer' | 'gate'): Promise<void>;
  /** Session clean-ups in flight (registry removal, ENDED): shutdown waits for them. */
  readonly pending: Set<Promise<unknown>>;
  /** Counters for the load report. */
  readonly stats: { stanzasIn: number; stanzasOut: number; authFailures: number };
  /**
   * While this process is back from a stall longer than its heartbeat key lives: the check of its
   * sessions in progress (routing/liveness.ts), which deliveries wait for, so a backlog for sessions
   * the routers swept meanwhile (and routed elsewhere) is refused instead of written. Undefined
   * otherwise (and when absent).
   */
  stalled?(): Promise<void> | undefined;
}

/** What the stream core (stream/base-stream.ts) needs: c2s streams get the whole EdgeContext, s2s ones a smaller one. */
export type StreamContext = Pick<EdgeContext, 'config' | 'logger' | 'stats' | 'secureContext'>;
