import type { Logger } from '#libs/telemetry';
import {
  decodeSocks5Activation,
  decodeSocks5ActivationResult,
  encodeSocks5Activation,
  encodeSocks5ActivationResult,
  subjects,
  type Bus,
  type BusSubscription,
  type Socks5ActivationResultOutcome,
} from '#libs/bus';
import type { Socks5Config } from '#libs/config';
import { forwardConnect } from './forward.js';
import { relay } from './relay.js';
import { Rep } from './socks5.codec.js';
import { Socks5Listener, type ConnectRequest } from './socks5-listener.js';
import { StreamClaims, type Peer } from './stream-claims.js';
import { TransferTable } from './transfer-table.js';

export type ProxyLog = Pick<Logger, 'debug' | 'info' | 'warn'>;

export interface Socks5ProxyDeps {
  bus: Bus;
  /** This media-relay instance's id (config `media.id` or the host name). */
  instance: string;
  heartbeatMs: number;
  /** Bus request budget for an activation sent to another replica. */
  requestTimeoutMs: number;
  log: ProxyLog;
}

/** How an activation came out (XEP-0065 §6.3.5); the IQ side maps it to a stanza error. */
export type ActivationOutcome = 'activated' | 'unknown' | 'one-side' | 'already-active' | 'user-limit' | 'unreachable';

/**
 * One replica's SOCKS5 proxy: the listener, the table of its streams, the cluster claims, the
 * forwarding of connections whose stream another replica holds, and activation (served on the bus
 * for whichever replica receives the activation IQ).
 */
export class Socks5Proxy {
  private readonly table: TransferTable;
  private readonly listener: Socks5Listener;
  private claims?: StreamClaims;
  private sub?: BusSubscription;
  private boundPort = 0;
  private forwards = 0;
  /** Running totals for glider_media_socks5_* (socks5.metrics.ts). */
  readonly totals = { bytes: 0, refused: 0, ended: new Map<string, number>() };

  constructor(
    private readonly cfg: Socks5Config,
    private readonly deps: Socks5ProxyDeps,
  ) {
    this.table = new TransferTable(cfg, {
      closed: (hash, why, bytes) => {
        deps.log.debug({ hash, why, bytes }, 'socks5 stream ended');
        this.totals.bytes += bytes;
        this.totals.ended.set(why, (this.totals.ended.get(why) ?? 0) + 1);
        void this.claims?.release(hash).catch((err: unknown) => deps.log.warn({ hash, err: String(err) }, 'socks5: releasing a stream claim failed'));
        void this.claims
          ?.removeUserTransfer(hash)
          .catch((err: unknown) => deps.log.warn({ hash, err: String(err) }, 'socks5: releasing a user transfer failed'));
      },
    });
    this.listener = new Socks5Listener(
      { host: cfg.host, port: cfg.port, handshakeTimeoutMs: cfg.handshakeTimeoutMs, maxConnections: 4 * cfg.maxTransfers },
      (req) => void this.connect(req).catch((err: unknown) => this.refuse(req, `internal error: ${String(err)}`)),
      deps.log,
    );
  }

  /** The port the listener is bound to (differs from config when that is 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Streams this replica holds, and how many of them relay. */
  stats(): { streams: number; relaying: number; forwarded: number } {
    return { streams: this.table.size, relaying: this.table.relaying, forwarded: this.forwards };
  }

  async start(): Promise<void> {
    this.boundPort = await this.listener.start();
    const self: Peer = { instance: this.deps.instance, host: peerHost(this.cfg), port: this.boundPort };
    this.claims = await StreamClaims.open(this.deps.bus, self, this.deps.heartbeatMs, (what, err) =>
      this.deps.log.warn({ err: String(err) }, `socks5: ${what} failed`),
    );
    this.sub = this.deps.bus.subscribe(subjects.socks5Activate(this.deps.instance), async (msg) => {
      const { hash, requester } = decodeSocks5Activation(msg.data);
      const outcome = await this.activateHere(hash, requester);
      msg.respond(encodeSocks5ActivationResult({ outcome: OUTCOME_WIRE[outcome] }));
    });
    this.deps.log.info({ host: this.cfg.host, port: this.boundPort, peer: `${self.host}:${self.port}` }, 'socks5 proxy listening');
  }

  /** Stops listening, closes every stream and releases this replica's claims; a second call does nothing. */
  async close(): Promise<void> {
    const sub = this.sub;
    const claims = this.claims;
    this.sub = undefined;
    await sub?.unsubscribe();
    await this.listener.close();
    this.table.close();
    await claims?.close();
  }

  /**
   * XEP-0065 §6.3.5, from the IQ side on any replica: finds the replica holding `hash` and has it
   * start relaying. `requester` is the activating entity's bare JID (per-user limit).
   */
  async activate(hash: string, requester: string): Promise<ActivationOutcome> {
    const claims = this.mustClaims();
    const holder = await claims.holder(hash);
    if (!holder) return 'unknown';
    if (claims.isSelf(holder)) return this.activateHere(hash, requester);
    try {
      const reply = await this.deps.bus.request(subjects.socks5Activate(holder.instance), encodeSocks5Activation({ hash, requester }), {
        timeoutMs: this.deps.requestTimeoutMs,
      });
      return OUTCOME_LOCAL[decodeSocks5ActivationResult(reply).outcome];
    } catch (err) {
      this.deps.log.warn({ hash, holder: holder.instance, err: String(err) }, 'socks5: the replica holding a stream did not take its activation');
      return 'unreachable';
    }
  }

  private async activateHere(hash: string, requester: string): Promise<ActivationOutcome> {
    const claims = this.mustClaims();
    if (!this.table.has(hash)) return 'unknown';
    if ((await claims.userTransfers(requester)) >= this.cfg.maxTransfersPerUser) return 'user-limit';
    const r = this.table.activate(hash);
    // Relaying has started: a failure to count it for the per-user limit must not turn into an error answer.
    if (r === 'activated')
      await claims
        .addUserTransfer(requester, hash)
        .catch((err: unknown) => this.deps.log.warn({ hash, err: String(err) }, 'socks5: counting a user transfer failed'));
    return r;
  }

  private async connect(req: ConnectRequest): Promise<void> {
    const claims = this.mustClaims();
    if (!this.table.has(req.hash)) {
      // A hash new to this replica: refuse before claiming it cluster-wide when we are full.
      if (this.table.full()) return this.refuse(req, `${this.cfg.maxTransfers} transfers in progress (media.socks5.maxTransfers)`, Rep.notAllowed);
      const holder = await claims.claim(req.hash);
      if (!claims.isSelf(holder)) return this.forward(req, holder);
    }
    const r = this.table.attach(req.hash, req.socket, req.early);
    if (!r.ok) {
      if (!this.table.has(req.hash)) await claims.release(req.hash);
      return this.refuse(req, r.reason, r.rep);
    }
    req.answer(Rep.succeeded);
  }

  private async forward(req: ConnectRequest, holder: Peer): Promise<void> {
    const f = await forwardConnect(holder, req.hash, req.port, this.cfg.handshakeTimeoutMs);
    if (!f.ok) return this.refuse(req, f.reason, f.rep);
    if (req.socket.destroyed) {
      f.upstream.destroy();
      return;
    }
    req.answer(Rep.succeeded);
    this.forwards++;
    // The holder enforces the limits and the activation; this hop only carries bytes both ways.
    relay(
      req.socket,
      f.upstream,
      req.early,
      f.early,
      { maxBytes: Number.MAX_SAFE_INTEGER, idleTimeoutMs: this.cfg.idleTimeoutMs + this.cfg.activationTimeoutMs },
      () => {
        this.forwards--;
      },
    );
  }

  private refuse(req: ConnectRequest, reason: string, rep: (typeof Rep)[keyof typeof Rep] = Rep.generalFailure): void {
    this.deps.log.debug({ hash: req.hash, reason }, 'socks5 connect refused');
    this.totals.refused++;
    req.answer(rep);
  }

  private mustClaims(): StreamClaims {
    if (!this.claims) throw new Error('the SOCKS5 proxy is not started');
    return this.claims;
  }
}

/** `media.socks5.peerHost`, else the listen host when it is a specific address, else loopback. */
export function peerHost(cfg: Socks5Config): string {
  if (cfg.peerHost) return cfg.peerHost;
  return cfg.host === '0.0.0.0' || cfg.host === '::' || cfg.host === '' ? '127.0.0.1' : cfg.host;
}

const OUTCOME_WIRE: Record<ActivationOutcome, Socks5ActivationResultOutcome> = {
  activated: 'ACTIVATED',
  unknown: 'UNKNOWN',
  'one-side': 'ONE_SIDE',
  'already-active': 'ALREADY_ACTIVE',
  'user-limit': 'USER_LIMIT',
  unreachable: 'OUTCOME_UNSPECIFIED',
};

const OUTCOME_LOCAL: Record<Socks5ActivationResultOutcome, ActivationOutcome> = {
  OUTCOME_UNSPECIFIED: 'unreachable',
  ACTIVATED: 'activated',
  UNKNOWN: 'unknown',
  ONE_SIDE: 'one-side',
  ALREADY_ACTIVE: 'already-active',
  USER_LIMIT: 'user-limit',
};
