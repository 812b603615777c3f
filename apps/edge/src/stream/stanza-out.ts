import type { HookEntry, SyncHookArg } from '#libs/xmpp-kit';
import { parseElement, type Element, type XmlLimits } from '#libs/xml';
import type { Outcome, Settle, StanzaMeta } from './outgoing.js';

/** What a StanzaOut needs from its stream (BaseStream implements it). */
export interface StanzaOutSink {
  /** Writes the stanza's final form (after the chain) and settles it `written` or `unwritten`. */
  writeStanza<M>(data: string | Uint8Array, settle: Settle<M> | undefined, meta: M): void;
  serialise(el: Element): string;
  /** Limits for re-reading a serialised stanza that this server made (deliveries). */
  reparseLimits(): XmlLimits;
  /** Settles (and forgets) a stanza dropped or held by a handler. */
  settleOut(out: HeldStanza, outcome: 'held' | 'dropped', by: string, reason?: string, untilStored?: boolean): void;
  /** A held stanza was released: the stream no longer needs to hand it back at close. */
  unhold(out: HeldStanza): void;
  readonly log: { error(obj: object, msg: string): void };
}

type Status = 'pending' | 'held' | 'done';

/** What the stream keeps of a held stanza, to hand it back if it closes first. */
export interface HeldStanza {
  /** Tells the caller (its `settle`). */
  report(outcome: Outcome): void;
  /** The stream closed while this was held: reported with `outcome` (unwritten), and done. */
  abandon(outcome: Outcome): void;
}

/**
 * One outgoing stanza on its way through the `stanza-out` hook (edge.hooks.ts). A handler may:
 * pass (return nothing), change it (`element()` and edit it, or `replace()`), `drop(reason)` it,
 * or `hold()` it and later `release()` (the rest of the chain runs, then it is written) or
 * `drop()`. Handlers run synchronously, in priority order, and must not await: holding is how a
 * feature waits. A delivery arrives serialised; it is parsed only if a handler calls `element()`,
 * and written as it came unless a handler changed it.
 */
export class StanzaOut<S = unknown> implements HeldStanza, SyncHookArg {
  private raw: string | Uint8Array | undefined;
  private el: Element | undefined;
  private status: Status = 'pending';
  private rest: readonly HookEntry<StanzaOut<S>>[] | undefined;
  /** The feature running now (for held/dropped reports). */
  private current = '';
  /** A handler is running: a release() inside it just lets the chain go on. */
  private inHandler = false;

  constructor(
    readonly stream: S,
    stanza: Element | Uint8Array,
    /** The bus envelope's fields for a delivery; undefined for a stanza the edge made. */
    readonly meta: StanzaMeta | undefined,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the caller's meta type, erased here: settle gets back the meta it came with
    private settle: Settle<any> | undefined,
    private readonly sink: StanzaOutSink,
  ) {
    if (stanza instanceof Uint8Array) this.raw = stanza;
    else this.el = stanza;
  }

  /** Handlers are synchronous (`hooks.on` refuses an async one). */
  get synchronousHook(): true {
    return true;
  }

  /** message, presence or iq, without parsing. */
  get name(): string {
    if (this.el) return this.el.name;
    const kind = this.meta?.kind;
    if (kind) return kind.toLowerCase();
    return this.element().name;
  }

  /** The stanza as an element, parsed on first use; edits to it are what gets written. */
  element(): Element {
    if (!this.el) {
      const raw = this.raw!;
      const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
      this.el = parseElement(text, this.sink.reparseLimits());
      this.raw = undefined;
    }
    return this.el;
  }

  replace(el: Element): void {
    this.el = el;
    this.raw = undefined;
  }

  get held(): boolean {
    return this.status === 'held';
  }

  /** Not written: settled `dropped` with the reason. Allowed while pending or held. */
  drop(reason: string): void {
    if (this.status === 'done') return;
    this.status = 'done';
    this.sink.settleOut(this, 'dropped', this.current, reason);
  }

  /** Kept by the calling handler: the chain stops here; `release()` or `drop()` later. */
  hold(): void {
    if (this.status !== 'pending') return;
    this.status = 'held';
    this.sink.settleOut(this, 'held', this.current);
  }

  /**
   * Held while the calling handler stores it durably outside the process (XEP-0198): the caller
   * hears `held` with `untilStored`, and does not count the stanza as taken until `stored()`.
   */
  holdToStore(): void {
    if (this.status !== 'pending') return;
    this.status = 'held';
    this.sink.settleOut(this, 'held', this.current, undefined, true);
  }

  /**
   * The holder stored it durably: the caller hears `stored` (final) and is done with it; what
   * becomes of the stanza after (written, replayed elsewhere, handed to offline storage) is the
   * holder's. Stays held: `release()` still writes it, `drop()` still forgets it.
   */
  stored(): void {
    if (this.status !== 'held' || !this.settle) return;
    // Asked to be acknowledged once written (an offline flush paces itself on that): it still is.
    if (this.meta?.ackWhenWritten) return;
    this.report({ kind: 'stored', by: this.current });
    this.settle = undefined;
  }

  /** The serialised stanza as it would be written now (no parse for a delivery nobody changed). */
  bytes(): string | Uint8Array {
    if (this.raw !== undefined) return this.raw;
    this.raw = this.sink.serialise(this.el!);
    this.el = undefined;
    return this.raw;
  }

  /** A held stanza goes on: the handlers after its holder run, then it is written (or queued). */
  release(): void {
    if (this.status !== 'held') return;
    this.status = 'pending';
    this.sink.unhold(this);
    if (this.inHandler) return;
    const rest = this.rest ?? [];
    this.rest = undefined;
    this.run(rest, 0);
  }

  /** The stream closed while this was held: handed back to the caller. */
  abandon(outcome: Outcome): void {
    if (this.status !== 'held') return;
    this.status = 'done';
    this.report(outcome);
  }

  /** @internal for the stream: the caller's callback, safely. */
  report(outcome: Outcome): void {
    if (!this.settle) return;
    try {
      this.settle(outcome, this.meta);
    } catch (err) {
      this.sink.log.error({ err, outcome: outcome.kind }, 'a stanza outcome callback threw');
    }
  }

  /** Runs the chain from `from`; writes the stanza unless a handler dropped or held it. */
  run(chain: readonly HookEntry<StanzaOut<S>>[], from: number): void {
    for (let i = from; i < chain.length; i++) {
      const entry = chain[i]!;
      this.current = entry.owner;
      let result: unknown;
      this.inHandler = true;
      try {
        result = entry.handler(this);
      } catch (err) {
        this.sink.log.error({ err, hook: 'stanza-out', feature: entry.owner }, 'hook handler failed; skipped');
      }
      this.inHandler = false;
      if (result instanceof Promise) {
        this.sink.log.error(
          { hook: 'stanza-out', feature: entry.owner },
          'stanza-out handlers run synchronously (hold, then release); the returned promise is ignored',
        );
      }
      if (this.status === 'held') {
        this.rest = chain.slice(i + 1);
        return;
      }
      if (this.status === 'done') return;
      if (result === 'stop') break;
    }
    this.status = 'done';
    this.sink.writeStanza(this.el ? this.sink.serialise(this.el) : this.raw!, this.settle, this.meta);
  }
}
