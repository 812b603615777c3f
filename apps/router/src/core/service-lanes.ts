import type { Address } from '#libs/addressing';
import { batchAcks, batchLength, decodeAck, encodeFrame, requestRetrying, type Ack, type Bus, type StanzaEnvelope } from '#libs/bus';
import type { Logger } from '#libs/telemetry';

type ServiceAddress = Extract<Address, { kind: 'service' }>;

interface Forwarded {
  env: StanzaEnvelope;
  to: ServiceAddress;
  taken: () => void;
  refused: (err: Error) => void;
}

export interface ServiceLaneOptions {
  /** `bus.requestTimeoutMs`: how long a service may take to answer (retried meanwhile while nobody owns its partition). */
  timeoutMs: number;
  /** `router.forwardBatchMax`: stanzas of one sender to one service subject in one request. */
  batchMax: number;
}

/**
 * One sender's stanzas on their way from the router to services (a room, the presence service,
 * s2s), in order (RFC 6120 §10.1) without the router's partition waiting for each service's Ack.
 * Like the edge's route lane (apps/edge/src/routing/outbound.ts): one request out at a time per
 * sender; the sender's stanzas for the same subject that came meanwhile go in the next request as
 * one DeliveryBatch (at most `batchMax`, and BATCH_XML_BYTES of XML), to a service whose every
 * instance declared `takesBatches`; a stanza for another subject waits until the ones before it were answered. So
 * order holds when a request is retried, and nothing the sender routed afterwards overtakes a
 * forwarded stanza (`idle`). Each stanza's promise settles with its own Ack: taken, or an Error
 * (the router then bounces it, as when it waited). A service that answers a batch with a plain
 * Ack (it ignored the frame) gets those stanzas again one per request.
 */
class Lane {
  private readonly waiting: Forwarded[] = [];
  private inFlight = false;
  private singles = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly opts: ServiceLaneOptions,
    private readonly logger: Logger,
    private readonly done: () => void,
  ) {}

  add(item: Forwarded): void {
    this.waiting.push(item);
    if (!this.inFlight) this.send();
  }

  idle(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private send(): void {
    const head = this.waiting[0]!;
    let n = 1;
    if (this.singles > 0) this.singles--;
    else if (head.to.batches) n = batchLength(this.waiting, this.opts.batchMax, (next) => next.to.subject === head.to.subject);
    const items = this.waiting.splice(0, n);
    this.inFlight = true;
    let frame: Uint8Array;
    try {
      frame = n === 1 ? encodeFrame({ stanza: head.env }) : encodeFrame({ batch: { stanzas: items.map((i) => i.env) } });
    } catch (err) {
      return this.settle(items, () => err as Error);
    }
    requestRetrying(this.bus, head.to.subject, frame, { timeoutMs: this.opts.timeoutMs })
      .then(
        (reply) => this.answered(items, reply),
        (err: unknown) => this.settle(items, () => err as Error),
      )
      .catch((err: unknown) => {
        // a bug, not an answer: said, and the lane goes on (a lane stuck "in flight" would hold its sender)
        this.logger.error({ err }, 'service lane failed to settle a request');
        if (this.inFlight) this.next();
      });
  }

  private answered(items: Forwarded[], reply: Uint8Array): void {
    let acks: Ack[] | 'unrouted' | undefined;
    try {
      acks = items.length === 1 ? [decodeAck(reply)] : batchAcks(reply, items.length);
    } catch (err) {
      return this.settle(items, () => new Error(`unreadable answer from ${items[0]!.to.service}: ${(err as Error).message}`));
    }
    if (acks === 'unrouted') {
      this.logger.info({ service: items[0]!.to.service, stanzas: items.length }, 'service does not take batches; sending these one at a time');
      this.singles += items.length;
      this.waiting.unshift(...items);
      return this.next();
    }
    this.settle(items, (i) => {
      const ack = acks?.[i];
      if (!ack) return new Error(`${items[i]!.to.service} answered a batch unreadably`);
      return ack.taken ? undefined : new Error(`${items[i]!.to.service} did not take the stanza: ${ack.error ?? 'no reason'}`);
    });
  }

  /** Answers each stanza (`refusal(i)` undefined: taken), then the next request. */
  private settle(items: Forwarded[], refusal: (i: number) => Error | undefined): void {
    items.forEach((item, i) => {
      const err = refusal(i);
      if (err) item.refused(err);
      else item.taken();
    });
    this.next();
  }

  private next(): void {
    this.inFlight = false;
    if (this.waiting.length > 0) return this.send();
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.done();
  }
}

/** The router's service lanes, one per sender with stanzas out (a lane goes once it empties). */
export class ServiceLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly bus: Bus,
    private readonly opts: ServiceLaneOptions,
    private readonly logger: Logger,
  ) {}

  /** Hands `env` to the service at `to` behind `sender`'s earlier forwards; resolves once it was taken, rejects when it was not. */
  forward(sender: string, env: StanzaEnvelope, to: ServiceAddress): Promise<void> {
    let lane = this.lanes.get(sender);
    if (!lane) {
      lane = new Lane(this.bus, this.opts, this.logger, () => this.lanes.delete(sender));
      this.lanes.set(sender, lane);
    }
    const target = lane;
    return new Promise<void>((taken, refused) => target.add({ env, to, taken, refused }));
  }

  /**
   * Resolves once every stanza `sender` forwarded so far was answered; undefined when none is out
   * (the usual case: no promise per stanza).
   */
  idle(sender: string): Promise<void> | undefined {
    return this.lanes.get(sender)?.idle();
  }
}
