/**
 * The receiver side of a chaos run, behaving as a real client: when its connection ends it comes
 * back after a delay on the other edge; at the end it logs in once more and takes its offline
 * messages. A message with a XEP-0203 <delay/> was stored and delivered at a login; one without
 * was delivered live.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Element } from '#libs/xml';
import { ChaosClient } from './chaos-client.js';
import type { ChaosCluster } from './chaos-cluster.js';
import type { Ledger } from './ledger.js';
import { seqOfBody } from './numbered-stream.js';

const NS_DELAY = 'urn:xmpp:delay';

export interface Connection {
  /** Index of the edge (0 = edge-1). */
  edge: number;
  /** The login at the end that takes the offline messages. */
  final: boolean;
  streamError?: string;
}

/** The final login is tried this many times. */
const DRAIN_ATTEMPTS = 3;

/** After this many logins the receiver stops coming back (a bound on every loop). */
const MAX_LOGINS = 20;

export class Receiver {
  readonly anomalies: string[] = [];
  /** Each connection the receiver had: edge index and how it ended. */
  readonly connections: Connection[] = [];
  current: ChaosClient | undefined;
  private edge = 0;
  private finishing = false;
  private reconnecting: Promise<void> | undefined;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly ledger: Ledger,
    private readonly user: string,
    private readonly password: string,
    /** How long after its connection ended the receiver logs in again, on the other edge. */
    private readonly reconnectDelayMs: number,
  ) {}

  get bare(): string {
    return `${this.user}@${this.cluster.domain}`;
  }

  /** Logs in on edge `edge` (0 or 1) and keeps coming back until finish(). */
  async connect(edge: number): Promise<void> {
    if (this.connections.length >= MAX_LOGINS) throw new Error(`the receiver logged in ${MAX_LOGINS} times already`);
    this.edge = edge;
    const entry: Connection = { edge, final: this.finishing };
    this.connections.push(entry);
    const c = await ChaosClient.login(this.cluster.edges[edge]!, this.cluster.domain, this.user, this.password, `r${this.connections.length}`, this.onElement);
    this.current = c;
    void c.ended.then(() => {
      entry.streamError = c.streamError;
      if (!this.finishing) this.reconnecting = this.comeBack();
    });
  }

  /** Stops coming back and closes the live connection politely, reading what is still in flight. */
  async finish(): Promise<void> {
    this.finishing = true;
    await this.reconnecting;
    await this.current?.close();
  }

  /**
   * Logs in again on `edge` and takes what was stored: waits until every message sent is
   * accounted for, or until nothing arrived for `settleMs` (never longer than `maxMs`).
   */
  async drain(edge: number, settleMs: number, maxMs: number): Promise<void> {
    this.finishing = true;
    const deadline = Date.now() + maxMs;
    const done = () => this.ledger.accounted() >= this.ledger.sentCount;
    // A client whose login fails or whose stream is closed (a fenced edge resets it) logs in again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.connect(edge);
      } catch (err) {
        this.anomalies.push(`final login ${attempt} failed: ${(err as Error).message}`);
        if (attempt >= DRAIN_ATTEMPTS || Date.now() >= deadline) throw err;
        await sleep(this.reconnectDelayMs);
        continue;
      }
      const c = this.current!;
      await settle(this.ledger, () => done() || c.isEnded, settleMs, Math.max(0, deadline - Date.now()));
      if (!c.isEnded || done() || attempt >= DRAIN_ATTEMPTS || Date.now() >= deadline) break;
      this.anomalies.push(`final login ${attempt} ended early${c.streamError ? ` (${c.streamError})` : ''}`);
      await sleep(this.reconnectDelayMs);
    }
    await this.current?.close();
  }

  private async comeBack(): Promise<void> {
    await sleep(this.reconnectDelayMs);
    if (this.finishing) return;
    const other = 1 - this.edge;
    try {
      await this.connect(other);
    } catch (err) {
      this.anomalies.push(`the receiver could not come back: ${(err as Error).message}`);
    }
  }

  private readonly onElement = (el: Element): void => {
    if (el.name !== 'message') return;
    const seq = seqOfBody(el);
    if (seq === undefined || el.attrs.type === 'error') {
      this.anomalies.push(`unexpected message: ${String(el).slice(0, 200)}`);
      return;
    }
    try {
      this.ledger.record(el.getChild('delay', NS_DELAY) ? 'stored' : 'live', seq);
    } catch (err) {
      this.anomalies.push((err as Error).message);
    }
  };
}

/** Waits until `done()` holds, or nothing arrived for `settleMs` (counted from now at the most), or `maxMs` passed. */
export async function settle(ledger: Ledger, done: () => boolean, settleMs: number, maxMs: number): Promise<void> {
  const start = Date.now();
  const idle = () => Math.min(ledger.idleMs(), Date.now() - start);
  while (!done() && idle() < settleMs && Date.now() - start < maxMs) await sleep(50);
}
