/**
 * One logged-in client connection for the chaos suite: STARTTLS, SCRAM, bind and initial presence
 * (the edge's own RawClient, no library between the test and the wire), then every element read is
 * handed to `onElement` until the connection ends. Reading can be paused (a client that stops reading).
 */
import type { Element } from '#libs/xml';
import { RawClient } from '../../apps/edge/src/testing/raw-client.js';
import type { EdgeEndpoint } from '../harness/standalone.js';

/** How long login (TCP, TLS, SASL, bind, self-presence) may take. */
export const LOGIN_TIMEOUT_MS = 15_000;
/** How long a polite close waits for the server to close its side before the socket is destroyed. */
export const CLOSE_TIMEOUT_MS = 5_000;

export class ChaosClient {
  /** Resolves once the connection has ended, whoever ended it. */
  readonly ended: Promise<void>;
  jid = '';
  streamError: string | undefined;
  private endedFlag = false;
  private markEnded!: () => void;

  private constructor(
    private readonly raw: RawClient,
    private readonly onElement: (el: Element) => void,
  ) {
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  /** Logs in on `edge`, sends initial presence and waits until the server reflects it (RFC 6121 §4.2.2). */
  static async login(
    edge: EdgeEndpoint,
    domain: string,
    user: string,
    password: string,
    resource: string,
    onElement: (el: Element) => void,
  ): Promise<ChaosClient> {
    const raw = await RawClient.connect({ host: edge.host, port: edge.c2sPort, mode: 'tcp' });
    const timer = setTimeout(() => raw.close(), LOGIN_TIMEOUT_MS);
    try {
      const jid = await raw.login(domain, user, password, resource);
      raw.send('<presence/>');
      for (;;) {
        const el = await raw.element(LOGIN_TIMEOUT_MS);
        if (el.name === 'presence' && el.attrs.from === jid && el.attrs.type === undefined) break;
        onElement(el); // an offline message may come before our own presence
      }
      const c = new ChaosClient(raw, onElement);
      c.jid = jid;
      void c.pump();
      return c;
    } catch (err) {
      raw.close();
      throw new Error(`${user} could not log in on port ${edge.c2sPort}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  get isEnded(): boolean {
    return this.endedFlag;
  }

  send(xml: string): void {
    if (!this.endedFlag) this.raw.send(xml);
  }

  sendMany(stanzas: string[]): void {
    this.send(stanzas.join(''));
  }

  pauseReading(): void {
    this.raw.pauseReading();
  }

  resumeReading(): void {
    this.raw.resumeReading();
  }

  /** Ends our stream and reads until the server has closed, so nothing it wrote before is missed. */
  async close(): Promise<void> {
    if (this.endedFlag) return;
    this.raw.send('</stream:stream>');
    const timer = setTimeout(() => this.raw.close(), CLOSE_TIMEOUT_MS);
    await this.ended;
    clearTimeout(timer);
  }

  /** Drops the connection at once (the client vanished). */
  destroy(): void {
    this.raw.close();
  }

  private async pump(): Promise<void> {
    for (;;) {
      let ev;
      try {
        ev = await this.raw.next(60_000);
      } catch {
        continue; // nothing for a while (a frozen edge, a paused reader): keep waiting
      }
      if (ev.kind === 'el') {
        if (ev.el.name === 'stream:error') this.streamError = ev.el.elements()[0]?.name ?? 'unknown';
        else this.onElement(ev.el);
      } else if (ev.kind === 'end') {
        this.raw.close(); // the server closed its stream: close ours too (RFC 6120 §4.4)
      } else if (ev.kind === 'closed') {
        this.endedFlag = true;
        this.markEnded();
        return;
      }
    }
  }
}
