import { pino } from 'pino';
import {
  InProcessBus,
  decodeAck,
  decodeFrame,
  encodeAck,
  encodeFrame,
  partitionOf,
  requestRetrying,
  subjects,
  type Ack,
  type Bus,
  type Frame,
  type StanzaKind,
} from '#libs/bus';
import { configSchema, type GliderConfig } from '#libs/config';
import { createSessionRegistry, type SessionInfo, type SessionRegistry } from '#libs/sessions';
import { EmbeddedStorage, type Storage } from '#libs/storage';
import { tempDir, waitFor } from '#libs/testing';
import { parseElement, type Element } from '#libs/xml';
import { startPresence, type Presence } from '../presence.js';

/** What the fake edge saw, in order: a stanza written to a session, and its Ack (when asked for one). */
export interface EdgeEvent {
  kind: 'received' | 'acked';
  sessionId: string;
  el: Element;
}

export const DOMAIN = 'example.com';
const silent = pino({ level: 'silent' });
const KINDS: Record<string, StanzaKind> = { message: 'MESSAGE', presence: 'PRESENCE', iq: 'IQ' };
const LIMITS = configSchema.parse({}).edge.limits;

/**
 * The presence service on the in-process bus, with embedded storage and the real session registry.
 * Tests play the edge (sessions in the registry, deliveries collected per session) and the router
 * (frames sent to `presenceIn` as it forwards them; AVAILABLE frames to `routerIn` recorded).
 */
export class PresenceHarness {
  readonly bus: Bus = new InProcessBus();
  readonly dir = tempDir('glider-presence-');
  readonly config: GliderConfig;
  readonly storage: Storage;
  readonly registry: SessionRegistry;
  presence!: Presence;
  readonly received: { sessionId: string; el: Element }[] = [];
  readonly events: EdgeEvent[] = [];
  readonly toRouter: Frame[] = [];
  private counter = 0;
  readonly edgeId = 'edge-1';

  constructor(overrides: Record<string, unknown> = {}) {
    this.config = configSchema.parse({
      domains: [DOMAIN],
      dataDir: this.dir.path,
      bus: { partitions: 8, heartbeatMs: 100, requestTimeoutMs: 2000 },
      log: { level: 'silent' },
      ...overrides,
    });
    this.storage = new EmbeddedStorage({ dataDir: this.dir.path });
    this.registry = createSessionRegistry(this.bus, { logger: silent });
  }

  static async start(config: Record<string, unknown> = {}): Promise<PresenceHarness> {
    const h = new PresenceHarness(config);
    await h.storage.open();
    await h.registry.start();
    h.bus.subscribe(subjects.edgeDeliver(h.edgeId), (msg) => {
      const s = decodeFrame(msg.data).stanza;
      if (!s?.target) return;
      const got = { sessionId: s.target.sessionId, el: parseElement(Buffer.from(s.xml).toString('utf8'), LIMITS) };
      h.received.push(got);
      h.events.push({ kind: 'received', ...got });
      // An edge acks once the stanza is written: a later turn than the one that received it.
      if (msg.replyExpected) {
        setImmediate(() => {
          h.events.push({ kind: 'acked', ...got });
          msg.respond(encodeAck({ taken: true }));
        });
      }
    });
    for (let p = 0; p < h.config.bus.partitions; p++) {
      h.bus.subscribe(subjects.routerIn(p), (msg) => {
        h.toRouter.push(decodeFrame(msg.data));
        if (msg.replyExpected) msg.respond(encodeAck({ taken: true }));
      });
    }
    h.presence = await startPresence({ config: h.config, logger: silent, bus: h.bus, storage: h.storage, registry: h.registry, instanceId: 'presence-1' });
    return h;
  }

  async createUser(local: string): Promise<string> {
    const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AA==', serverKey: 'AA==' };
    await this.storage.accounts.create({ username: local, domain: DOMAIN, scram: { 'SHA-1': cred, 'SHA-256': cred }, createdAt: new Date(), disabled: false });
    return `${local}@${DOMAIN}`;
  }

  /** A bound session that has not sent presence yet. */
  async bind(jid: string): Promise<SessionInfo> {
    const info: SessionInfo = {
      jid,
      edgeId: this.edgeId,
      sessionId: `s${++this.counter}`,
      priority: 0,
      available: false,
      interested: false,
      boundAtMs: Date.now(),
    };
    await this.registry.bind(info, 'replace');
    return info;
  }

  /** A stanza from `session`, forwarded by the router to the presence partition of its user. */
  async send(session: SessionInfo, el: Element): Promise<Ack> {
    el.attrs.from = session.jid;
    return this.frame(el, { origin: { edgeId: session.edgeId, sessionId: session.sessionId } }, session.jid.split('/')[0]!);
  }

  /** An inbound stanza for the local user in `to` (as federation will deliver them). */
  async inbound(el: Element): Promise<Ack> {
    return this.frame(el, {}, (el.attrs.to ?? '').split('/')[0]!);
  }

  /** Sends Frame{session ENDED} as the edge does after removing the session from the registry. */
  async end(session: SessionInfo, status?: string): Promise<Ack> {
    const removed = await this.registry.remove(session.jid, session.sessionId);
    const frame = encodeFrame({
      session: {
        kind: 'ENDED',
        jid: session.jid,
        session: { edgeId: session.edgeId, sessionId: session.sessionId },
        wasAvailable: removed?.available ?? false,
        ...(status ? { status } : {}),
      },
    });
    return this.request(frame, session.jid.split('/')[0]!);
  }

  /** Binds, asks for the roster and sends initial presence: a client logging in. */
  async login(jid: string, priority = 0): Promise<SessionInfo> {
    const s = await this.bind(jid);
    await this.send(s, parseElement(`<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>`, LIMITS));
    await this.send(s, parseElement(`<presence><priority>${priority}</priority></presence>`, LIMITS));
    return (await this.registry.get(jid))!;
  }

  for(session: SessionInfo): Element[] {
    return this.received.filter((r) => r.sessionId === session.sessionId).map((r) => r.el);
  }

  async waitFor(session: SessionInfo, n: number): Promise<Element[]> {
    await waitFor(() => this.for(session).length >= n, { what: `${n} stanzas for ${session.jid}`, timeoutMs: 5000 });
    return this.for(session);
  }

  /**
   * Resolves once everything published so far has reached its subscribers (the fake edge and
   * router). After the Acks of what a test sent, that is every stanza presence sent for it.
   */
  delivered(): Promise<void> {
    return this.bus.flush();
  }

  clear(): void {
    this.received.length = 0;
    this.events.length = 0;
    this.toRouter.length = 0;
  }

  async close(): Promise<void> {
    await this.presence.stop();
    await this.registry.stop();
    await this.bus.close();
    await this.storage.close();
    this.dir.remove();
  }

  private async frame(el: Element, extra: { origin?: { edgeId: string; sessionId: string } }, partitionKey: string): Promise<Ack> {
    const frame = encodeFrame({
      stanza: {
        from: el.attrs.from ?? '',
        to: el.attrs.to ?? '',
        kind: KINDS[el.name] ?? 'STANZA_KIND_UNSPECIFIED',
        type: el.attrs.type ?? '',
        id: el.attrs.id ?? '',
        xml: Buffer.from(el.toString()),
        hops: 0,
        ...extra,
      },
    });
    return this.request(frame, partitionKey);
  }

  private async request(frame: Uint8Array, partitionKey: string): Promise<Ack> {
    const subject = subjects.presenceIn(partitionOf(partitionKey, this.config.bus.partitions));
    // as a router sends: a partition between owners (a claim lapsing on a busy machine) is retried, not refused
    return decodeAck(await requestRetrying(this.bus, subject, frame, { timeoutMs: 5000 }));
  }
}
