import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer, rootCertificates, type SecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { ServiceDirectory } from '#libs/addressing';
import { buckets, decodeFrame, encodeAck, PartitionedConsumer, subjects, type Bus, type BusMessage, type BusSubscription } from '#libs/bus';
import type { GliderConfig } from '#libs/config';
import { canonicalDomain, parsePemBundle, PolicySource, type ConnectTarget } from '#libs/federation';
import { tryParseJid } from '#libs/jid';
import { NS } from '#libs/stanza';
import type { Logger } from '#libs/telemetry';
import { parseElement, reparseLimits, type Element } from '#libs/xml';
import { SocketTransport } from '../transport/socket.transport.js';
import type { Transport } from '../transport/transport.js';
import { DialbackSecret } from './dialback-secret.js';
import { askAuthoritativeServer } from './dialback-verify.stream.js';
import { isOurDomain, type S2sContext } from './s2s-context.js';
import { DaneLookupError, dial, targetsOf } from './s2s-dial.js';
import { daneLookup } from './dane-lookup.js';
import { S2sInStream } from './s2s-in.stream.js';
import { S2sOutQueue, type Settled } from './s2s-out-queue.js';
import { S2sPool } from './s2s-pool.js';
import { bounceOf, toRouter } from './s2s-routing.js';
import { countRefusal, s2sStanzasIn, s2sStanzasOut } from './s2s.metrics.js';
import { ConnectionCounter } from '../limits/connection-counter.js';

/** The service name remote domains resolve to in the addressing table (libs/addressing). */
export const S2S_SERVICE = 's2s';
/** Members and partition claims of the edges sending to remote domains. */
export const S2S_MEMBERS_BUCKET = 'glider_s2s';

export interface S2sServerDeps {
  config: GliderConfig;
  logger: Logger;
  bus: Bus;
  edgeId: string;
  secureContext: () => SecureContext;
}

/**
 * Federation on one edge (`s2s.enabled`): inbound streams on `s2s.port` (STARTTLS) and
 * `s2s.directTlsPort` (XEP-0368), whose stanzas go to the router; and a share of outbound
 * federation — the `s2s` service declared with `remoteDomains` in the addressing table, its
 * partitions (keyed by remote domain) spread over the edges like the routers' (PartitionedConsumer),
 * so each remote domain has one sending edge at a time, which keeps one connection per domain pair.
 */
export class S2sServer {
  readonly ports = { s2s: 0, directTls: 0 };
  readonly inbound = new Set<S2sInStream>();
  readonly policy: PolicySource;
  private readonly ctx: S2sContext;
  private readonly pool: S2sPool;
  private readonly servers: (NetServer | TlsServer)[] = [];
  private consumer: PartitionedConsumer | undefined;
  /** edge.limits.maxConnectionsPerIp applies to peers as to clients (a peer needs few: one stream per domain pair). */
  private readonly counter: ConnectionCounter;
  private accepting = true;
  private directory: ServiceDirectory | undefined;
  private dialbackSecret: DialbackSecret | undefined;
  private queue: S2sOutQueue | undefined;
  private reachable: BusSubscription | undefined;
  /** The `s2s` partition each remote domain's stanzas came in (what a hand-over of a partition closes). */
  private readonly partitionOfRemote = new Map<string, number>();

  constructor(private readonly deps: S2sServerDeps) {
    const { config, logger } = deps;
    const log = logger.child({ component: 's2s' });
    this.counter = new ConnectionCounter(config.edge.limits.maxConnectionsPerIp);
    this.policy = new PolicySource(config.s2s, {
      onError: (err) => log.error({ err: err.message }, 'federation policy file not applied; the previous policy stays'),
    });
    const anchors = config.s2s.trustFile ? parsePemBundle(readFileSync(config.s2s.trustFile, 'utf8')) : rootCertificates.map((pem) => new X509Certificate(pem));
    if (anchors.length === 0) throw new Error(`s2s.trustFile ${config.s2s.trustFile}: no certificate in it`);
    this.ctx = {
      config,
      logger: log,
      stats: { stanzasIn: 0, stanzasOut: 0, authFailures: 0 },
      secureContext: deps.secureContext,
      policy: () => this.policy.current(),
      anchors: () => anchors,
      onRemoteStanza: (el) => this.fromRemote(el),
      // conference.<domain> and the like: peers address them, and the muc sends from them (issue 12)
      serviceDomains: () => this.directory?.table.serviceDomains() ?? [],
      // a peer back up (it just authenticated to us) ends the back-off towards it on every edge: the
      // one sending to it (its s2s partition's owner) may be another than the one it reached
      peerReachable: (remote) => deps.bus.publish(subjects.s2sPeerReachable(), Buffer.from(remote, 'utf8')),
      refused: (direction, remote, why) => {
        countRefusal(direction, why);
        log.info({ direction, remote, why }, 'federation refused');
      },
    };
    const dane = daneLookup(config.s2s.dane);
    if (dane) this.ctx.dane = dane;
    const io = {
      targets: (remote: string) =>
        targetsOf(remote, config.s2s, undefined, dane, (msg, fields) => log.info(fields, msg)).catch((err: Error) => {
          if (err instanceof DaneLookupError) this.ctx.refused?.('out', remote, err.message);
          throw err;
        }),
      dial: (target: ConnectTarget, remote: string) => dial(target, remote, deps.secureContext(), config.s2s.connectTimeoutMs),
    };
    this.ctx.dialback = {
      secrets: () => this.dialbackSecret?.all() ?? [],
      verify: (req) => askAuthoritativeServer(this.ctx, io, req),
    };
    this.pool = new S2sPool(this.ctx, { ...io, bounce: (el, condition, text) => void this.bounceToSender(el, condition, text) });
  }

  async start(tls: SecureContextOptions): Promise<void> {
    const { config, bus, edgeId } = this.deps;
    await this.policy.start();
    this.dialbackSecret = new DialbackSecret(config.s2s.dialbackSecretFile, tlsKey(tls));
    this.policy.onChange(() => this.enforcePolicy());
    const plain = createNetServer((socket) => this.accept(new SocketTransport(socket)));
    this.ports.s2s = await this.listen(plain, config.s2s.port);
    if (config.s2s.directTlsPort > 0) {
      const direct = createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['xmpp-server'] }, (socket) =>
        this.accept(new SocketTransport(socket)),
      );
      this.ports.directTls = await this.listen(direct, config.s2s.directTlsPort);
    }
    this.reachable = bus.subscribe(subjects.s2sPeerReachable(), (msg) => this.pool.peerReachable(Buffer.from(msg.data).toString('utf8')));
    this.queue = new S2sOutQueue(await bus.kv(buckets.s2sOut), edgeId, this.ctx.logger);
    this.consumer = new PartitionedConsumer(bus, {
      id: edgeId,
      partitions: config.bus.partitions,
      subject: (p) => subjects.serviceIn(S2S_SERVICE, p),
      membersBucket: S2S_MEMBERS_BUCKET,
      heartbeatMs: config.bus.heartbeatMs,
      handler: (p, msg) => this.toRemote(p, msg),
      onAcquired: (p) => this.takeOver(p),
      onReleased: (p) => this.handOver(p),
      logger: this.ctx.logger,
    });
    await this.consumer.start();
    this.directory = new ServiceDirectory(bus, {
      localDomains: config.domains,
      partitions: config.bus.partitions,
      heartbeatMs: config.bus.heartbeatMs,
      outageGraceMs: config.bus.outageGraceMs,
      logger: this.ctx.logger,
    });
    await this.directory.start();
    await this.directory.declare(S2S_SERVICE, edgeId, { remoteDomains: true });
    this.ctx.logger.info({ ports: this.ports }, 'federation listening');
  }

  /** New handshakes on the direct-TLS port get the new certificate. */
  setSecureContext(tls: SecureContextOptions): void {
    this.dialbackSecret?.rotate(tlsKey(tls));
    for (const s of this.servers) if ('setSecureContext' in s) s.setSecureContext(tls);
  }

  async stop(): Promise<void> {
    this.accepting = false;
    await this.directory?.stop();
    await this.consumer?.stop();
    await this.reachable?.unsubscribe();
    for (const s of this.servers) s.close();
    for (const s of this.inbound) s.close();
    this.pool.stop();
    this.policy.stop();
  }

  private accept(transport: Transport): void {
    const ip = transport.remoteAddress;
    const stream = new S2sInStream(this.ctx, transport);
    if (!this.accepting) return stream.error('system-shutdown', 'this server is shutting down');
    if (!this.counter.acquire(ip)) return stream.error('policy-violation', 'too many connections from your address');
    this.inbound.add(stream);
    stream.onClosed(() => {
      this.inbound.delete(stream);
      this.counter.release(ip);
    });
  }

  /**
   * A stanza the router sent to the `s2s` service: stored in the durable queue (s2s-out-queue.ts),
   * then the Ack, then out to its domain; the entry goes once it was written or bounced. A queue
   * that cannot store it answers `taken: false` (the router bounces it to its sender).
   */
  private async toRemote(partition: number, msg: BusMessage): Promise<void> {
    const env = decodeFrame(msg.data).stanza;
    const text = env ? Buffer.from(env.xml).toString('utf8') : '';
    const out = this.outgoing(text);
    if (out.kind !== 'ok') {
      // the Ack first: the bounce goes to a router partition that may be waiting for this Ack
      if (msg.replyExpected) msg.respond(encodeAck({ taken: true }));
      if (out.kind === 'foreign') await this.bounceToSender(out.el, 'remote-server-not-found', 'only local senders federate');
      return;
    }
    let settled: Settled | undefined;
    try {
      settled = await this.queue!.put(partition, out.from, out.to, text);
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message, stanzaId: out.el.attrs.id, remote: out.to }, 'stanza for a remote domain not stored; refused');
      if (msg.replyExpected) msg.respond(encodeAck({ taken: false, error: 's2s queue unavailable' }));
      return;
    }
    if (msg.replyExpected) msg.respond(encodeAck({ taken: true }));
    this.partitionOfRemote.set(out.to, partition);
    this.ctx.logger.debug({ name: out.el.name, type: out.el.attrs.type, stanzaId: out.el.attrs.id, remote: out.to }, 'stanza to a remote domain');
    s2sStanzasOut.add();
    this.pool.send(out.el, out.from, out.to, { settled });
  }

  /** A stanza for a remote domain, parsed and checked: a local sender, a remote recipient. */
  private outgoing(text: string): { kind: 'ok'; el: Element; from: string; to: string } | { kind: 'foreign'; el: Element } | { kind: 'unparsable' } {
    let el: Element;
    try {
      el = parseElement(text, reparseLimits(this.deps.config.edge.limits));
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message }, 'unparsable stanza for a remote domain dropped');
      return { kind: 'unparsable' };
    }
    const from = canonicalDomain(tryParseJid(el.attrs.from ?? '')?.domain ?? '');
    const to = canonicalDomain(tryParseJid(el.attrs.to ?? '')?.domain ?? '');
    if (!from || !to || !isOurDomain(this.ctx, from)) return { kind: 'foreign', el };
    // the content namespace is the stream's (RFC 6120 §4.8.3): jabber:server on the way out
    if (el.attrs.xmlns === NS.client) delete el.attrs.xmlns;
    return { kind: 'ok', el, from, to };
  }

  /**
   * This edge now owns a partition: what the previous owner accepted and did not settle goes out
   * first, in its order, before anything the partition receives now (PartitionedConsumer runs
   * this before the partition's first message). Each keeps the deadline it got when accepted.
   */
  private async takeOver(partition: number): Promise<void> {
    const left = await this.queue!.recover(partition);
    if (left.length === 0) return;
    this.ctx.logger.info({ partition, stanzas: left.length }, 'sending the stanzas the previous owner of a partition left');
    for (const item of left) {
      const out = this.outgoing(item.xml);
      if (out.kind !== 'ok') {
        item.settled();
        continue;
      }
      s2sStanzasOut.add();
      this.partitionOfRemote.set(out.to, partition);
      this.pool.send(out.el, out.from, out.to, { settled: item.settled, deadline: item.queuedAt + this.deps.config.s2s.queueTimeoutMs });
    }
  }

  /**
   * This edge lets a partition go (drain, scale, or it was taken for dead): with a durable bus its
   * pairs' streams close and what they did not write stays queued for the next owner. The
   * in-process bus has no next owner: what waits bounces when the pool stops.
   */
  private async handOver(partition: number): Promise<void> {
    if (this.deps.config.bus.kind !== 'nats') return;
    await this.pool.abandon((remote) => this.partitionOfRemote.get(remote) === partition);
    for (const [remote, p] of this.partitionOfRemote) if (p === partition) this.partitionOfRemote.delete(remote);
    await this.queue!.release(partition);
  }

  private async fromRemote(el: Element): Promise<void> {
    this.ctx.logger.debug({ name: el.name, type: el.attrs.type, stanzaId: el.attrs.id, from: el.attrs.from }, 'stanza from a remote domain');
    // a peer may state jabber:server on the stanza; clients must get it in jabber:client (their stream's)
    if (el.attrs.xmlns === NS.server) delete el.attrs.xmlns;
    s2sStanzasIn.add();
    let taken = false;
    try {
      taken = await toRouter(this.deps.bus, this.deps.config, el);
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message, stanzaId: el.attrs.id }, 'router did not take a remote stanza');
    }
    if (taken) return;
    // no silent loss: the remote sender hears of it over our outbound stream
    const reply = bounceOf(el, 'internal-server-error', 'the server could not route it');
    const from = canonicalDomain(tryParseJid(el.attrs.to ?? '')?.domain ?? '');
    const to = canonicalDomain(tryParseJid(el.attrs.from ?? '')?.domain ?? '');
    if (reply && from && to) this.pool.send(reply, from, to);
  }

  private async bounceToSender(el: Element, condition: Parameters<typeof bounceOf>[1], text: string): Promise<void> {
    const reply = bounceOf(el, condition, text);
    if (!reply) return;
    try {
      if (!(await toRouter(this.deps.bus, this.deps.config, reply))) throw new Error('not taken');
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message, stanzaId: el.attrs.id, condition }, 'bounce to a local sender not routed');
    }
  }

  /** Issue 13: a domain no longer allowed loses its streams, both ways, at once. */
  private enforcePolicy(): void {
    const policy = this.policy.current();
    this.ctx.logger.info({ mode: policy.settings.mode }, 'federation policy changed');
    this.pool.enforcePolicy();
    for (const s of this.inbound) {
      const refused = s.refusedBy(policy);
      if (refused) s.error('policy-violation', `federation with ${refused} is no longer allowed (or not without a valid certificate)`);
    }
  }

  private listen(server: NetServer, port: number): Promise<number> {
    server.on('error', (err) => this.ctx.logger.error({ err }, 's2s listener error'));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.deps.config.edge.host, reusePort: this.deps.config.edge.reusePort }, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }
}

/** The PEM private key of our certificate (the dialback secret is derived from it when no file is set). */
function tlsKey(tls: SecureContextOptions): string | Buffer | undefined {
  const key = Array.isArray(tls.key) ? tls.key[0] : tls.key;
  return key !== undefined && typeof key === 'object' && 'pem' in key ? key.pem : key;
}
