import { pino } from 'pino';
import {
  InProcessBus,
  copyFor,
  decodeAck,
  decodeFrame,
  encodeAck,
  encodeBatchAck,
  encodeFrame,
  envelopeOf,
  partitionOf,
  requestRetrying,
  subjects,
  type Ack,
  type Bus,
  type Frame,
  type StanzaEnvelope,
} from '#libs/bus';
import { configSchema, type GliderConfig } from '#libs/config';
import { createSessionRegistry, type SessionInfo, type SessionRegistry } from '#libs/sessions';
import { EmbeddedStorage, type Storage } from '#libs/storage';
import { tempDir, waitFor } from '#libs/testing';
import { parseElement, type Element } from '#libs/xml';
import { startMuc, type Muc } from '../muc.js';

export const DOMAIN = 'example.com';
export const SERVICE = `conference.${DOMAIN}`;
const silent = pino({ level: 'silent' });
const LIMITS = configSchema.parse({}).edge.limits;

/**
 * The muc service on the in-process bus with embedded storage and the real session registry. Tests
 * play the edge (sessions in the registry; deliveries collected per session, each acknowledged) and
 * the router (what muc routes to users is recorded). `send` resolves with the Ack, which the service
 * sends only once every delivery of that stanza was acknowledged: then everything it sent is here.
 */
export class MucHarness {
  readonly bus: Bus = new InProcessBus();
  readonly dir = tempDir('glider-muc-');
  readonly config: GliderConfig;
  readonly storage: Storage;
  readonly registry: SessionRegistry;
  muc!: Muc;
  readonly received: { sessionId: string; el: Element; dedupeKey?: string }[] = [];
  readonly toRouter: Frame[] = [];
  /** Sizes of the DeliveryBatch requests the fake edge got (per-edge fan-out). */
  readonly batches: number[] = [];
  /** Sizes of those that were DeliveryFanout requests (one stanza's copies, its bytes sent once). */
  readonly fanouts: number[] = [];
  /** Sessions the fake edge answers `session-gone` for (their client vanished, the registry not yet told). */
  readonly vanished = new Set<string>();
  /** While set, the fake edge answers no DeliveryFanout (an edge older than it, or a stalled one). */
  ignoreFanouts = false;
  /**
   * While true the fake router takes requests and answers none, as a router partition busy with one
   * frame does (it waits for that frame's Ack); `routerWaiting` holds the answers it owes.
   */
  routerBusy = false;
  readonly routerWaiting: (() => void)[] = [];
  private counter = 0;
  readonly edgeId = 'edge-1';

  constructor(overrides: Record<string, unknown> = {}) {
    const { muc, ...rest } = overrides as { muc?: Record<string, unknown> };
    this.config = configSchema.parse({
      domains: [DOMAIN],
      dataDir: this.dir.path,
      bus: { partitions: 8, heartbeatMs: 100, requestTimeoutMs: 2000 },
      log: { level: 'silent' },
      muc: { enabled: true, ...muc },
      ...rest,
    });
    this.storage = new EmbeddedStorage({ dataDir: this.dir.path });
    this.registry = createSessionRegistry(this.bus, { logger: silent });
  }

  static async start(overrides: Record<string, unknown> = {}): Promise<MucHarness> {
    const h = new MucHarness(overrides);
    await h.storage.open();
    await h.registry.start();
    // A fake edge: single deliveries, DeliveryBatch and DeliveryFanout frames (per-edge fan-out), each stanza taken or session-gone.
    h.bus.subscribe(subjects.edgeDeliver(h.edgeId), (msg) => {
      const frame = decodeFrame(msg.data);
      if (frame.fanout && h.ignoreFanouts) return;
      const take = (s: StanzaEnvelope): Ack => {
        const live = !!s.target && h.registry.onEdge(h.edgeId).some((x) => x.sessionId === s.target!.sessionId) && !h.vanished.has(s.target.sessionId);
        if (live)
          h.received.push({
            sessionId: s.target!.sessionId,
            el: parseElement(Buffer.from(s.xml).toString('utf8'), LIMITS),
            ...(s.dedupeKey ? { dedupeKey: s.dedupeKey } : {}),
          });
        return live ? { taken: true } : { taken: false, error: 'session-gone' };
      };
      // a DeliveryFanout: each recipient's copy as the edge makes it (libs/bus copyFor)
      const stanzas = frame.batch
        ? frame.batch.stanzas
        : frame.fanout?.stanza
          ? frame.fanout.recipients.map((r) => ({
              ...copyFor({ env: frame.fanout!.stanza!, toAt: frame.fanout!.toAt }, r.to),
              target: { edgeId: h.edgeId, sessionId: r.sessionId },
            }))
          : undefined;
      if (stanzas) {
        h.batches.push(stanzas.length);
        if (frame.fanout) h.fanouts.push(stanzas.length);
        const acks = stanzas.map(take);
        if (msg.replyExpected) msg.respond(encodeBatchAck({ acks }));
        return;
      }
      if (!frame.stanza?.target) return;
      const ack = take(frame.stanza);
      if (msg.replyExpected) msg.respond(encodeAck(ack));
    });
    for (let p = 0; p < h.config.bus.partitions; p++) {
      h.bus.subscribe(subjects.routerIn(p), (msg) => {
        h.toRouter.push(decodeFrame(msg.data));
        const answer = () => msg.replyExpected && msg.respond(encodeAck({ taken: true }));
        if (h.routerBusy) h.routerWaiting.push(answer);
        else answer();
      });
    }
    await h.startService('muc-1');
    return h;
  }

  async startService(instanceId: string): Promise<Muc> {
    // As deployed (libs/runtime `sessions: 'lookup'`): each muc replica its own registry, not watched,
    // caching only the sessions it looked up; the fake edge's watched one is the truth.
    const registry = createSessionRegistry(this.bus, { logger: silent });
    this.muc = await startMuc({ config: this.config, logger: silent, bus: this.bus, storage: this.storage, registry, instanceId });
    return this.muc;
  }

  async createUser(local: string): Promise<string> {
    const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AA==', serverKey: 'AA==' };
    await this.storage.accounts.create({ username: local, domain: DOMAIN, scram: { 'SHA-1': cred, 'SHA-256': cred }, createdAt: new Date(), disabled: false });
    return `${local}@${DOMAIN}`;
  }

  /** A bound, available session of `jid` (a full JID). */
  async login(jid: string): Promise<SessionInfo> {
    const info: SessionInfo = {
      jid,
      edgeId: this.edgeId,
      sessionId: `s${++this.counter}`,
      priority: 0,
      available: true,
      interested: true,
      boundAtMs: Date.now(),
    };
    await this.registry.bind(info, 'replace');
    return info;
  }

  /** A stanza from `session` (XML text; from is set), as the router hands it to the room's partition. */
  async send(session: SessionInfo, text: string): Promise<Ack> {
    const el = parseElement(text, LIMITS);
    el.attrs.from = session.jid;
    const to = el.attrs.to ?? '';
    const bare = to.split('/')[0]!;
    const frame = encodeFrame({ stanza: { ...envelopeOf(el), origin: { edgeId: session.edgeId, sessionId: session.sessionId } } });
    const subject = subjects.serviceIn('muc', partitionOf(bare, this.config.bus.partitions));
    // as a router sends: a partition between owners (a claim lapsing on a busy machine) is retried, not refused
    return decodeAck(await requestRetrying(this.bus, subject, frame, { timeoutMs: 5000 }));
  }

  /** What `session` received since the last `take`, removed from the log. */
  take(session: SessionInfo): Element[] {
    return this.takeDeliveries(session).map((m) => m.el);
  }

  /** Like `take`, with each delivery's key (StanzaEnvelope.dedupeKey: a real edge writes a key to a session once). */
  takeDeliveries(session: SessionInfo): { el: Element; dedupeKey?: string }[] {
    const mine = this.received.filter((r) => r.sessionId === session.sessionId);
    for (const m of mine) this.received.splice(this.received.indexOf(m), 1);
    return mine;
  }

  async waitFor(cond: () => boolean, what: string): Promise<void> {
    await waitFor(cond, { what, timeoutMs: 5000 });
  }

  async close(): Promise<void> {
    await this.muc.stop();
    await this.registry.stop();
    await this.bus.close();
    await this.storage.close();
    this.dir.remove();
  }
}

/** The muc#user status codes of a stanza. */
export function statuses(el: Element): number[] {
  return (el.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status') ?? []).map((s) => Number(s.attrs.code));
}

/** The error condition of an error stanza. */
export function errorOf(el: Element | undefined): string | undefined {
  const e = el?.getChild('error');
  return e?.elements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
}
