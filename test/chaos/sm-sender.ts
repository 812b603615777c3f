/**
 * A sender with XEP-0198 stream management for the chaos suite's sender's-edge row, as a phone
 * client behaves: it keeps every stanza it sent until the server acknowledges it (`<a h/>`), and
 * when its connection dies it resumes on the other edge (`<resume previd h/>`) and sends again what
 * `<resumed h/>` says the server did not handle. If the server cannot resume, it binds afresh and
 * sends the unacknowledged again (duplicates possible, never a loss). Built on the edge's RawClient.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Element } from '#libs/xml';
import { RawClient } from '../../apps/edge/src/testing/raw-client.js';
import type { EdgeEndpoint } from '../harness/standalone.js';
import { LOGIN_TIMEOUT_MS, CLOSE_TIMEOUT_MS } from './chaos-client.js';

const SM = 'urn:xmpp:sm:3';
const STANZAS = new Set(['message', 'presence', 'iq']);
/** Ask the server for an ack after this many stanzas. */
const REQUEST_EVERY = 50;
const RECONNECT_AFTER_MS = 300;
const MAX_RECONNECTS = 30;

export interface SmClientOptions {
  resource?: string;
  /** Send initial presence and wait for its reflection (false: a session that only receives). */
  presence?: boolean;
}

export class SmSender {
  /** Resumes that worked, and fresh logins after the first one (a resume that failed). */
  resumes = 0;
  freshLogins = 0;
  /** Stanzas sent since enable and not yet acknowledged by the server, oldest first. */
  private unacked: string[] = [];
  /** Server's acknowledged count (full), our sent count, and the stanzas we handled from the server. */
  private acked = 0;
  private sent = 0;
  private inbound = 0;
  private id = '';
  private raw: RawClient | undefined;
  private edge = 0;
  private closing = false;
  private reconnects = 0;
  /** What happened to the connection, for the row's notes. */
  readonly notes: string[] = [];
  /** Resolves each time a resume (or fresh login) completed. */
  private onBack: (() => void) | undefined;

  private constructor(
    private readonly edges: EdgeEndpoint[],
    private readonly domain: string,
    private readonly user: string,
    private readonly password: string,
    private readonly onElement: (el: Element) => void,
    private readonly opts: SmClientOptions,
  ) {}

  static async login(
    edges: EdgeEndpoint[],
    domain: string,
    user: string,
    password: string,
    onElement: (el: Element) => void,
    opts: SmClientOptions & { edge?: number } = {},
  ): Promise<SmSender> {
    const s = new SmSender(edges, domain, user, password, onElement, opts);
    await s.fresh(opts.edge ?? 0);
    s.freshLogins = 0;
    return s;
  }

  /** The edge (index) of the current connection. */
  get edgeIndex(): number {
    return this.edge;
  }

  get isEnded(): boolean {
    return false; // it always comes back; the stream stops it
  }

  /** Resolves when the next resume (or fresh login after a failed one) is done. */
  backAgain(): Promise<void> {
    return new Promise((resolve) => (this.onBack = resolve));
  }

  sendMany(stanzas: string[]): void {
    this.unacked.push(...stanzas);
    if (!this.raw || this.raw.closed) return; // kept: sent again after the resume
    this.write(stanzas);
  }

  async close(): Promise<void> {
    this.closing = true;
    const raw = this.raw;
    if (!raw || raw.closed) return;
    raw.send(`<r xmlns='${SM}'/></stream:stream>`);
    const timer = setTimeout(() => raw.close(), CLOSE_TIMEOUT_MS);
    while (!raw.closed) await sleep(20);
    clearTimeout(timer);
  }

  private write(stanzas: string[]): void {
    const before = this.sent;
    this.sent += stanzas.length;
    const ask = Math.floor(this.sent / REQUEST_EVERY) > Math.floor(before / REQUEST_EVERY);
    this.raw!.send(stanzas.join('') + (ask ? `<r xmlns='${SM}'/>` : ''));
  }

  private async authenticated(edge: number): Promise<RawClient> {
    const e = this.edges[edge]!;
    const raw = await RawClient.connect({ host: e.host, port: e.c2sPort, mode: 'tcp' });
    await raw.open(this.domain);
    await raw.starttls();
    await raw.open(this.domain);
    const outcome = await raw.scram(this.user, this.password, 'SCRAM-SHA-256');
    if (outcome.name !== 'success') throw new Error(`login failed: ${String(outcome)}`);
    await raw.open(this.domain);
    return raw;
  }

  /** Bind, enable with resumption, initial presence; sends again whatever is unacknowledged. */
  private async fresh(edge: number): Promise<void> {
    const raw = await this.authenticated(edge);
    const jid = await raw.bind(this.opts.resource ?? 's');
    this.freshLogins++;
    raw.send(`<enable xmlns='${SM}' resume='true'/>`);
    const enabled = await raw.element(LOGIN_TIMEOUT_MS);
    if (enabled.name !== 'enabled') throw new Error(`enable refused: ${String(enabled)}`);
    this.id = enabled.attrs.id ?? '';
    this.acked = this.sent = this.inbound = 0;
    if (this.opts.presence !== false) {
      raw.send('<presence/>');
      for (;;) {
        const el = await raw.element(LOGIN_TIMEOUT_MS);
        if (STANZAS.has(el.name)) this.inbound++;
        if (el.name === 'presence' && el.attrs.from === jid && el.attrs.type === undefined) break;
        this.onElement(el);
      }
    }
    this.attach(raw, edge);
    const again = this.unacked;
    this.unacked = [];
    if (again.length > 0) {
      this.notes.push(`sent ${again.length} again after binding afresh`);
      this.sendMany(again);
    }
  }

  /** XEP-0198 §5: resume on `edge`; true when resumed. */
  private async resume(edge: number): Promise<boolean> {
    const raw = await this.authenticated(edge);
    raw.send(`<resume xmlns='${SM}' previd='${this.id}' h='${this.inbound}'/>`);
    const answer = await raw.element(LOGIN_TIMEOUT_MS);
    if (answer.name !== 'resumed') {
      this.notes.push(`resume refused on edge-${edge + 1}: ${String(answer).slice(0, 120)}`);
      raw.close();
      return false;
    }
    this.resumes++;
    this.ackUpTo(Number(answer.attrs.h));
    const again = this.unacked;
    this.unacked = [];
    this.sent = this.acked;
    this.attach(raw, edge);
    this.notes.push(`resumed on edge-${edge + 1}, server had ${this.acked} of ours, sent ${again.length} again`);
    this.sendMany(again);
    return true;
  }

  private attach(raw: RawClient, edge: number): void {
    this.raw = raw;
    this.edge = edge;
    void this.pump(raw);
    const back = this.onBack;
    this.onBack = undefined;
    back?.();
  }

  private ackUpTo(h: number): void {
    const n = Math.max(0, h - this.acked);
    this.unacked.splice(0, n);
    this.acked += n;
  }

  private async pump(raw: RawClient): Promise<void> {
    for (;;) {
      let ev;
      try {
        ev = await raw.next(60_000);
      } catch {
        continue;
      }
      if (ev.kind === 'el') {
        const el = ev.el;
        if (el.attrs.xmlns === SM && el.name === 'r') raw.send(`<a xmlns='${SM}' h='${this.inbound}'/>`);
        else if (el.attrs.xmlns === SM && el.name === 'a') this.ackUpTo(Number(el.attrs.h));
        else if (STANZAS.has(el.name)) {
          this.inbound++;
          this.onElement(el);
        }
      } else if (ev.kind === 'end') {
        raw.close();
      } else if (ev.kind === 'closed') {
        if (!this.closing) void this.comeBack();
        return;
      }
    }
  }

  private async comeBack(): Promise<void> {
    while (!this.closing && this.reconnects++ < MAX_RECONNECTS) {
      await sleep(RECONNECT_AFTER_MS);
      const other = 1 - this.edge;
      try {
        if (await this.resume(other)) return;
        await this.fresh(other);
        return;
      } catch (err) {
        this.notes.push(`could not come back on edge-${other + 1}: ${(err as Error).message}`);
        this.edge = other;
      }
    }
  }
}
