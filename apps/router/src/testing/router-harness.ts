import { pino } from 'pino';
import { ServiceDirectory } from '#libs/addressing';
import {
  InProcessBus,
  decodeAck,
  decodeBatchAck,
  decodeFrame,
  encodeAck,
  encodeBatchAck,
  encodeFrame,
  envelopeOf,
  partitionOf,
  subjects,
  type Ack,
  type Bus,
  type BusSubscription,
  type Frame,
  type StanzaEnvelope,
  SESSION_GONE,
  buckets,
  keys,
  requestRetrying,
} from '#libs/bus';
import { configSchema, type GliderConfig } from '#libs/config';
import { createSessionRegistry, type SessionInfo, type SessionRegistry } from '#libs/sessions';
import { EmbeddedStorage, type Storage } from '#libs/storage';
import { tempDir, waitFor } from '#libs/testing';
import { parseElement, type Element } from '#libs/xml';
import { startRouter, type Router } from '../router.js';

export const DOMAIN = 'example.com';
export const STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** The defined condition of an error stanza. */
export const errorCondition = (el: Element) =>
  el
    .getChild('error')
    ?.elements()
    .find((c) => c.xmlns === STANZAS_NS)?.name;
const silent = pino({ level: 'silent' });
const LIMITS = configSchema.parse({}).edge.limits;

export interface Received {
  sessionId: string;
  el: Element;
}

/** How a FakeEdge answers deliveries to one session (default: it takes them). */
export type SessionBehaviour = 'gone' | 'silent';

/**
 * An edge as the router sees it: sessions bound in the registry, stanzas sent with request(), and
 * deliveries acknowledged as a real edge does (taken, refused as `session-gone`, or never answered).
 */
export class FakeEdge {
  readonly received: Received[] = [];
  private counter = 0;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly behaviour = new Map<string, SessionBehaviour>();
  private readonly sub: BusSubscription;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly h: RouterHarness,
    readonly id: string,
  ) {
    this.sub = h.bus.subscribe(subjects.edgeDeliver(id), (msg) => {
      const frame = decodeFrame(msg.data);
      if (frame.stanza) {
        const ack = this.take(frame.stanza);
        if (ack) msg.respond(encodeAck(ack));
      } else if (frame.batch) {
        // a DeliveryBatch (the router coalesces a turn's deliveries per edge): one Ack per stanza, in
        // order; a stalled session stalls the whole answer, as a stalled edge would
        const acks = frame.batch.stanzas.map((stanza) => this.take(stanza));
        if (acks.every((a) => a !== undefined)) msg.respond(encodeBatchAck({ acks }));
      }
    });
  }

  /** One delivery, as the edge handles it: its Ack, or undefined when it is never answered. */
  private take(stanza: StanzaEnvelope): Ack | undefined {
    if (!stanza.target) return undefined;
    const sessionId = stanza.target.sessionId;
    const how = this.behaviour.get(sessionId);
    if (how === 'silent') return undefined;
    if (how === 'gone') return { taken: false, error: SESSION_GONE };
    this.received.push({ sessionId, el: parseElement(Buffer.from(stanza.xml).toString('utf8'), LIMITS) });
    return { taken: true };
  }

  /** From now on, deliveries to `session` are refused (its stream is gone) or never answered (stalled). */
  behave(session: SessionInfo, how: SessionBehaviour): void {
    this.behaviour.set(session.sessionId, how);
  }

  /** The edge process is gone: nobody subscribes to its subject any more (its sessions stay in the registry). */
  async die(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.sub.unsubscribe();
  }

  /**
   * Heartbeats in `glider_edges` as a live edge does, until `die()`: without it the routers' dead-edge
   * sweep (core/edge-sweeper.ts) ends this edge's sessions within a second or two — fine for short
   * tests, not for one that runs longer (a loaded machine, a slower feature on the path).
   */
  async keepAlive(): Promise<void> {
    const edges = await this.h.bus.kv(buckets.edges, { ttlMs: 3 * this.h.config.bus.heartbeatMs });
    const beat = async () => void (await edges.put(keys.edge(this.id), new TextEncoder().encode('1')));
    await beat();
    this.heartbeat = setInterval(() => void beat().catch(() => undefined), this.h.config.bus.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Binds `jid` (full) on this edge; available sessions have sent initial presence. */
  async bind(jid: string, opts: { available?: boolean; priority?: number } = {}): Promise<SessionInfo> {
    const info: SessionInfo = {
      jid,
      edgeId: this.id,
      sessionId: `s${++this.counter}-${jid}`,
      priority: opts.priority ?? 0,
      available: opts.available ?? true,
      interested: false,
      boundAtMs: Date.now(),
    };
    await this.h.registry.bind(info, 'replace');
    return info;
  }

  /**
   * Sends a stanza from `session` as an edge does: `from` stamped, to the sender's partition, a
   * session's next stanza only once the router took the previous one.
   */
  send(session: SessionInfo, el: Element, hops = 0): Promise<Ack> {
    el.attrs.from = session.jid;
    return this.after(session, () => this.h.request(el, { origin: { edgeId: this.id, sessionId: session.sessionId }, hops }));
  }

  /** Sends `els` from `session` in one batch (the edge's route lane), once the session's earlier sends were taken. */
  sendBatch(session: SessionInfo, els: Element[]): Promise<Ack[]> {
    for (const el of els) el.attrs.from = session.jid;
    return this.after(session, () => this.h.requestBatch(els, { edgeId: this.id, sessionId: session.sessionId }));
  }

  /** Runs `send` once the session's earlier sends settled: one request of a session out at a time. */
  private after<T>(session: SessionInfo, send: () => Promise<T>): Promise<T> {
    const sent = (this.inFlight.get(session.sessionId) ?? Promise.resolve()).then(send);
    this.inFlight.set(
      session.sessionId,
      sent.then(
        () => undefined,
        () => undefined,
      ),
    );
    return sent;
  }

  /** Sends an IQ and waits for the stanza answering its id. */
  async ask(session: SessionInfo, iq: Element): Promise<Element> {
    const id = (iq.attrs.id ??= `iq${++this.counter}`);
    await this.send(session, iq);
    await waitFor(() => this.for(session).some((e) => e.attrs.id === id), { what: `answer to ${id}`, timeoutMs: 5000 });
    return this.for(session).find((e) => e.attrs.id === id)!;
  }

  for(session: SessionInfo): Element[] {
    return this.received.filter((r) => r.sessionId === session.sessionId).map((r) => r.el);
  }

  async waitFor(session: SessionInfo, n: number): Promise<Element[]> {
    await waitFor(() => this.for(session).length >= n, { what: `${n} stanzas for ${session.jid}`, timeoutMs: 5000 });
    return this.for(session);
  }

  clear(): void {
    this.received.length = 0;
  }
}

export interface HarnessOptions {
  config?: Record<string, unknown>;
  /** Routers to start on the same bus (partition ownership is spread over them). */
  routers?: number;
}

/**
 * A router (or several) on the in-process bus, with embedded storage in a temp dir and the real
 * session registry; frames are driven on the bus as an edge would.
 */
export class RouterHarness {
  readonly bus: Bus = new InProcessBus();
  readonly dir = tempDir('glider-router-');
  readonly config: GliderConfig;
  readonly storage: Storage;
  readonly registry: SessionRegistry;
  readonly routers: Router[] = [];
  /** Frames the router sent to the presence service (answered with Ack{taken}). */
  readonly toPresence: Frame[] = [];
  /** The presence service as the table knows it: declared on the bus as the real one declares itself. */
  readonly presenceDirectory: ServiceDirectory;

  constructor(opts: HarnessOptions = {}) {
    this.config = configSchema.parse({
      domains: [DOMAIN],
      dataDir: this.dir.path,
      bus: { partitions: 8, heartbeatMs: 400, requestTimeoutMs: 2000 },
      log: { level: 'silent' },
      ...opts.config,
    });
    this.storage = new EmbeddedStorage({ dataDir: this.dir.path });
    this.registry = createSessionRegistry(this.bus, { logger: silent });
    this.presenceDirectory = new ServiceDirectory(this.bus, {
      localDomains: this.config.domains,
      partitions: this.config.bus.partitions,
      heartbeatMs: this.config.bus.heartbeatMs,
      outageGraceMs: this.config.bus.outageGraceMs,
      logger: silent,
    });
  }

  static async start(opts: HarnessOptions = {}): Promise<RouterHarness> {
    const h = new RouterHarness(opts);
    await h.storage.open();
    await h.registry.start();
    for (let p = 0; p < h.config.bus.partitions; p++) {
      h.bus.subscribe(subjects.presenceIn(p), (msg) => {
        h.toPresence.push(decodeFrame(msg.data));
        msg.respond(encodeAck({ taken: true }));
      });
    }
    await h.presenceDirectory.start();
    await h.presenceDirectory.declare('presence', 'presence-fake', {
      accountPresence: true,
      accountIq: [{ ns: 'jabber:iq:roster', ownOnly: true }],
      discoFeatures: ['jabber:iq:roster'],
    });
    for (let i = 0; i < (opts.routers ?? 1); i++) await h.addRouter(`router-${i + 1}`);
    return h;
  }

  async addRouter(id: string): Promise<Router> {
    const registry = this.routers.length === 0 ? this.registry : createSessionRegistry(this.bus, { logger: silent });
    await registry.start();
    const router = await startRouter({ config: this.config, logger: silent, bus: this.bus, storage: this.storage, registry, instanceId: id });
    this.routers.push(router);
    return router;
  }

  edge(id = 'edge-1'): FakeEdge {
    return new FakeEdge(this, id);
  }

  async createUser(local: string): Promise<string> {
    const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AA==', serverKey: 'AA==' };
    await this.storage.accounts.create({
      username: local,
      domain: DOMAIN,
      scram: { 'SHA-1': cred, 'SHA-256': cred },
      createdAt: new Date(),
      disabled: false,
    });
    return `${local}@${DOMAIN}`;
  }

  /** Sends a frame to the router partition of the sender's bare JID and waits for the Ack. */
  async request(el: Element, extra: { origin?: { edgeId: string; sessionId: string }; hops?: number } = {}): Promise<Ack> {
    const from = el.attrs.from ?? '';
    const bare = from.split('/')[0]!;
    const frame = encodeFrame({ stanza: envelopeOf(el, { hops: extra.hops ?? 0, ...(extra.origin ? { origin: extra.origin } : {}) }) });
    const target = extra.hops ? (el.attrs.to ?? bare).split('/')[0]! : bare;
    const reply = await requestRetrying(this.bus, subjects.routerIn(partitionOf(target, this.config.bus.partitions)), frame, { timeoutMs: 5000 });
    return decodeAck(reply);
  }

  /**
   * Sends consecutive stanzas of one session in one DeliveryBatch frame, as the edge's route lane
   * does (apps/edge/src/routing/outbound.ts), and returns the BatchAck's Acks.
   */
  async requestBatch(els: Element[], origin: { edgeId: string; sessionId: string }): Promise<Ack[]> {
    const stanzas = els.map((el) => envelopeOf(el, { origin }));
    const bare = stanzas[0]!.from.split('/')[0]!;
    const reply = await requestRetrying(this.bus, subjects.routerIn(partitionOf(bare, this.config.bus.partitions)), encodeFrame({ batch: { stanzas } }), {
      timeoutMs: 5000,
    });
    return decodeBatchAck(reply).acks;
  }

  /** Sends Frame{session AVAILABLE} as the presence service does after initial presence. */
  async available(session: SessionInfo): Promise<Ack> {
    const bare = session.jid.split('/')[0]!;
    const frame = encodeFrame({ session: { kind: 'AVAILABLE', jid: session.jid, session: { edgeId: session.edgeId, sessionId: session.sessionId } } });
    return decodeAck(await this.bus.request(subjects.routerIn(partitionOf(bare, this.config.bus.partitions)), frame, { timeoutMs: 5000 }));
  }

  /**
   * Resolves once everything published so far has reached its subscribers (the fake edges). After
   * the Acks of what a test sent, that is every stanza the routers delivered for it: no fixed sleep.
   */
  delivered(): Promise<void> {
    return this.bus.flush();
  }

  async close(): Promise<void> {
    for (const r of this.routers) await r.stop();
    await this.presenceDirectory.stop();
    await this.registry.stop();
    await this.bus.close();
    await this.storage.close();
    this.dir.remove();
  }
}
