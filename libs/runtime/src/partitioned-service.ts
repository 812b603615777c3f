import { ServiceDirectory, type AddressingTable, type Serves } from '#libs/addressing';
import {
  BATCH_XML_BYTES,
  Delivery,
  PartitionedConsumer,
  decodeFrame,
  encodeAck,
  encodeBatchAck,
  subjects,
  type Ack,
  type Bus,
  type BusMessage,
  type Frame,
  type StanzaEnvelope,
} from '#libs/bus';
import type { GliderConfig } from '#libs/config';
import { DirectoryProvisioning, type UserExistence } from '#libs/directory';
import { tryParseJid } from '#libs/jid';
import type { SessionRegistry } from '#libs/sessions';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { parseElement, reparseLimits, type Element, type XmlLimits } from '#libs/xml';
import { Hooks, loadFeatures, type AnyFeature, type LoadedFeatures } from '#libs/xmpp-kit';
import { registerPartitionMetrics } from './partition-metrics.js';

/** What a partitioned service is built from (Nest provides these in the app; tests pass them directly). */
export interface ServiceDeps {
  config: GliderConfig;
  logger: Logger;
  bus: Bus;
  storage: Storage;
  registry: SessionRegistry;
  /** This instance's id on the bus (partition ownership, load reports). */
  instanceId: string;
}

// Made once, at first use: after standalone's bootstrap chose whether bus values stay objects (libs/bus keepBusValuesLocal).
let ackTakenBytes: Uint8Array | undefined;
const ackTaken = (): Uint8Array => (ackTakenBytes ??= encodeAck({ taken: true }));
const TAKEN: Ack = { taken: true };

/** A frame handled, whose Ack waits for `settled` (see onFrame). */
export interface FrameOutcome {
  settled: Promise<void>;
}

/**
 * What router and presence share: a typed hook vocabulary and features set up on it, a share of
 * one family of partition subjects (`serviceIn(name, p)`) processed serially (PartitionedConsumer),
 * an Ack for every frame (taken, or not with the reason), the addressing table with this service's
 * own declaration in it (libs/addressing), and the helpers their features use.
 */
export abstract class PartitionedService<H extends object> implements ServiceDeps {
  readonly config: GliderConfig;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly storage: Storage;
  readonly registry: SessionRegistry;
  readonly instanceId: string;
  readonly hooks: Hooks<H>;
  readonly delivery: Delivery;
  /** The addressing table on the bus; this service declares itself in it once it consumes. */
  readonly directory: ServiceDirectory;
  private reparse: XmlLimits | undefined;
  /** Directory users who never signed in (directory.domains.<d>.provisionOnLookup); undefined = none. */
  private readonly provisioning: DirectoryProvisioning | undefined;
  private consumer: PartitionedConsumer | undefined;
  protected loaded: LoadedFeatures | undefined;
  /** Frames whose Ack waits for their deliveries, and who waits for none to be left (stop). */
  private settling = 0;
  private unregisterMetrics: (() => void) | undefined;
  private idle: (() => void) | undefined;

  constructor(
    deps: ServiceDeps,
    /**
     * `name` is the service's name in the addressing table and its subjects' token; `heartbeatMs`
     * (default `bus.heartbeatMs`) paces its partition group: a dead member is given up after 3 to 4.
     */
    private readonly partitions: {
      name: string;
      membersBucket: string;
      heartbeatMs?: number;
      /** Deliveries to one edge made in one turn go in one request, this many at most (libs/bus Delivery); default: each alone. */
      deliveryBatchMax?: number;
    },
  ) {
    this.config = deps.config;
    this.logger = deps.logger;
    this.bus = deps.bus;
    this.storage = deps.storage;
    this.registry = deps.registry;
    this.instanceId = deps.instanceId;
    this.hooks = new Hooks<H>(deps.logger);
    const batchMax = partitions.deliveryBatchMax ?? 1;
    this.delivery = new Delivery(deps.bus, deps.config.bus.deliveryAckTimeoutMs, batchMax > 1 ? { max: batchMax, bytes: BATCH_XML_BYTES } : undefined);
    this.directory = new ServiceDirectory(deps.bus, {
      localDomains: deps.config.domains,
      partitions: deps.config.bus.partitions,
      heartbeatMs: deps.config.bus.heartbeatMs,
      outageGraceMs: deps.config.bus.outageGraceMs,
      logger: deps.logger,
    });
    const provisioning = new DirectoryProvisioning(deps.config.directory, deps.storage, deps.logger.child({ component: 'directory' }));
    this.provisioning = provisioning.size > 0 ? provisioning : undefined;
  }

  /** The one table that decides where a stanza goes (libs/addressing). */
  get addressing(): AddressingTable {
    return this.directory.table;
  }

  /** This service's name in the addressing table. */
  get serviceName(): string {
    return this.partitions.name;
  }

  /**
   * Handles one frame; a throw makes the Ack say not taken, with the message. A frame whose outcome
   * is still settling (deliveries awaiting their acknowledgement) returns it: the partition moves on
   * to its next frame and the Ack is sent once `settled` resolves.
   */
  protected abstract onFrame(frame: Frame, msg: BusMessage): Promise<void | FrameOutcome>;

  /** What this service declares in the addressing table once its features are set up. */
  protected abstract serves(): Serves;

  async start(features: AnyFeature<this>[]): Promise<void> {
    this.loaded = await loadFeatures<this>(this, features, this.config.features);
    await this.directory.start();
    const name = this.partitions.name;
    this.consumer = new PartitionedConsumer(this.bus, {
      id: this.instanceId,
      partitions: this.config.bus.partitions,
      subject: (p) => subjects.serviceIn(name, p),
      membersBucket: this.partitions.membersBucket,
      heartbeatMs: this.partitions.heartbeatMs ?? this.config.bus.heartbeatMs,
      handler: (_p, msg) => this.onMessage(msg),
      logger: this.logger,
    });
    // Declared before consuming: a request that comes in between is retried until a partition is
    // claimed (requestRetrying), where a missing declaration would bounce it with service-unavailable.
    // Every partitioned service takes DeliveryBatch frames (onBatch): routers may batch to it.
    await this.directory.declare(name, this.instanceId, { ...this.serves(), takesBatches: true });
    await this.consumer.start();
    this.unregisterMetrics = registerPartitionMetrics({ service: name, backlog: () => this.backlog() });
    this.logger.info({ features: this.loaded.names, instance: this.instanceId }, `${this.partitions.name} started`);
  }

  /** Withdraws the declaration first, so routers stop addressing this instance, then drains. */
  async stop(): Promise<void> {
    this.unregisterMetrics?.();
    await this.directory.withdraw(this.partitions.name, this.instanceId);
    await this.consumer?.stop();
    // Frames still settling are answered before the bus closes (each is bounded by its timeouts).
    while (this.settling > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.directory.stop();
    this.loaded?.stop();
    await this.provisioning?.close();
  }

  ownedPartitions(): number[] {
    return this.consumer?.owned() ?? [];
  }

  /** Frames received and waiting for their partition, and frames handled whose Ack awaits deliveries. */
  backlog(): { waiting: number; settling: number } {
    return { waiting: this.consumer?.backlog() ?? 0, settling: this.settling };
  }

  /**
   * Whether `bare` is an account: a local record, or a directory user who never signed in (their
   * record is made now, libs/directory DirectoryProvisioning). 'unknown' while that directory cannot
   * be asked: callers answer with a `wait` error (docs/directory.md), never as if nobody were there.
   */
  async userExists(bare: string): Promise<UserExistence> {
    const jid = tryParseJid(bare);
    if (!jid?.local) return false;
    if ((await this.storage.accounts.get(jid.local, jid.domain)) !== undefined) return true;
    return this.provisioning ? this.provisioning.lookUp(jid.local, jid.domain) : false;
  }

  /** Re-reads a stanza the edge accepted: escaping may have grown it (libs/xml reparseLimits). */
  parseXml(text: string): Element {
    return parseElement(text, (this.reparse ??= reparseLimits(this.config.edge.limits)));
  }

  protected parse(xml: Uint8Array): Element {
    return this.parseXml(Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8'));
  }

  private async onMessage(msg: BusMessage): Promise<void> {
    let outcome: FrameOutcome | void;
    try {
      const frame = decodeFrame(msg.data);
      if (frame.batch) return await this.onBatch(frame.batch.stanzas, msg);
      outcome = await this.onFrame(frame, msg);
    } catch (err) {
      return this.answer(msg, err);
    }
    if (!outcome) return this.answer(msg);
    // The partition goes on with its next frame; the sender's Ack waits for the deliveries.
    this.settling++;
    void outcome.settled.then(
      () => this.answered(msg),
      (err: unknown) => this.answered(msg, err),
    );
  }

  /**
   * A DeliveryBatch on this service's subject: one sender's consecutive stanzas (the edge's route
   * lane, apps/edge/src/routing/outbound.ts), each handled in order exactly as if it had come in
   * its own frame, in this partition's turn. One answer, a BatchAck with each stanza's Ack in order,
   * once every one of them settled (as each single frame's Ack would have).
   */
  private async onBatch(stanzas: StanzaEnvelope[], msg: BusMessage): Promise<void> {
    const acks: Promise<Ack>[] = [];
    for (const stanza of stanzas) {
      try {
        const outcome = await this.onFrame({ stanza }, msg);
        acks.push(
          outcome
            ? outcome.settled.then(
                () => TAKEN,
                (err: unknown) => this.notTaken(msg, err),
              )
            : Promise.resolve(TAKEN),
        );
      } catch (err) {
        acks.push(Promise.resolve(this.notTaken(msg, err)));
      }
    }
    this.settling++;
    void Promise.all(acks).then((all) => {
      if (msg.replyExpected) msg.respond(encodeBatchAck({ acks: all }));
      if (--this.settling === 0) this.idle?.();
    });
  }

  private notTaken(msg: BusMessage, err: unknown): Ack {
    this.logger.error({ err, subject: msg.subject }, `${this.partitions.name} frame failed`);
    return { taken: false, error: (err as Error).message };
  }

  private answered(msg: BusMessage, err?: unknown): void {
    this.answer(msg, err);
    if (--this.settling === 0) this.idle?.();
  }

  private answer(msg: BusMessage, err?: unknown): void {
    if (err !== undefined) this.logger.error({ err, subject: msg.subject }, `${this.partitions.name} frame failed`);
    if (!msg.replyExpected) return;
    msg.respond(err === undefined ? ackTaken() : encodeAck({ taken: false, error: (err as Error).message }));
  }
}
