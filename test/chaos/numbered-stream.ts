/**
 * The sender side of a chaos run: numbered chat messages at a steady rate, and the errors bounced
 * back to it. The number is in the id (which an error reply keeps, RFC 6120 §8.3.1) and first in
 * the body (what the receiver reads).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Element } from '#libs/xml';
/** What the stream sends through: a plain client (ChaosClient) or one with stream management (SmSender). */
export interface Sender {
  sendMany(stanzas: string[]): void;
  readonly isEnded: boolean;
}
import type { Ledger } from './ledger.js';

export interface StreamOptions {
  to: string;
  /** Messages per second. */
  rate: number;
  /** Filler added to each body, to reach a byte rate at the same message rate. */
  padBytes: number;
  /** Hard bounds: the stream ends at whichever comes first, even if nobody stops it. */
  maxMessages: number;
  maxMs: number;
}

/** The pacing tick: messages due since the last tick leave together. */
const TICK_MS = 10;

export function messageXml(seq: number, opts: Pick<StreamOptions, 'to' | 'padBytes'>): string {
  const pad = opts.padBytes > 0 ? ' ' + 'x'.repeat(opts.padBytes) : '';
  return `<message to='${opts.to}' type='chat' id='m${seq}'><body>${seq}${pad}</body></message>`;
}

/** The sequence number of a message the receiver got, from its body. */
export function seqOfBody(el: Element): number | undefined {
  const m = /^(\d+)/.exec(el.getChildText('body') ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The sequence number of an error bounced to the sender, from its id. */
export function seqOfId(el: Element): number | undefined {
  const m = /^m(\d+)$/.exec(el.attrs.id ?? '');
  return m ? Number(m[1]) : undefined;
}

export class NumberedStream {
  /** Stanzas the sender got that it cannot place (a bug in the suite or the server). */
  readonly anomalies: string[] = [];
  private stopping = false;
  private done: Promise<void> | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly opts: StreamOptions,
  ) {}

  /** For the sender's connection: errors bounced to it, by sequence number. */
  onSenderElement = (el: Element): void => {
    if (el.name !== 'message' || el.attrs.type !== 'error') return;
    const seq = seqOfId(el);
    if (seq === undefined) this.anomalies.push(`error without a sequence number: ${String(el).slice(0, 200)}`);
    else this.ledger.record('bounced', seq);
  };

  start(sender: Sender): void {
    this.done = this.run(sender);
  }

  /** Stops sending and resolves once the last message has been written. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async run(sender: Sender): Promise<void> {
    const t0 = Date.now();
    const { rate, maxMessages, maxMs } = this.opts;
    while (!this.stopping && !sender.isEnded) {
      const elapsed = Date.now() - t0;
      if (elapsed >= maxMs) break;
      const due = Math.min(maxMessages, Math.floor((elapsed * rate) / 1000));
      const batch: string[] = [];
      for (let seq = this.ledger.sentCount; seq < due; seq++) {
        batch.push(messageXml(seq, this.opts));
        this.ledger.sentOne(seq);
      }
      if (batch.length > 0) sender.sendMany(batch);
      if (this.ledger.sentCount >= maxMessages) break;
      await sleep(TICK_MS);
    }
    if (sender.isEnded) this.anomalies.push(`the sender's connection ended after ${this.ledger.sentCount} messages`);
  }
}
