import type { Element } from '#libs/xml';
import type { HookEntry } from '#libs/xmpp-kit';

/** What a StanzaIn needs from its stream. */
export interface StanzaInPath {
  /** The rest of the inbound path (checks, negotiation, the router) for the final element. */
  proceed(el: Element): Promise<void>;
  /** Runs `fn` in the stream's in-order element queue (a released stanza queues behind later ones). */
  enqueue(fn: () => Promise<void>): void;
  readonly log: { debug(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * One stanza from the peer on its way through the `stanza-in` hook (edge.hooks.ts), before the
 * edge checks and routes it. A handler may pass (return nothing), change `el` (edit or assign),
 * `drop(reason)` it, or `hold()` it and later `release()` (the handlers after the holder run,
 * then the stanza goes on, queued behind what arrived meanwhile) or `drop()`. Handlers may be
 * async: the stream reads its next element only after the chain is done.
 */
export class StanzaIn<S = unknown> {
  private status: 'pending' | 'held' | 'done' = 'pending';
  private rest: readonly HookEntry<StanzaIn<S>>[] | undefined;
  private current = '';
  /** A handler is running: a release() inside it just lets the chain go on. */
  private inHandler = false;

  constructor(
    readonly stream: S,
    public el: Element,
    private readonly path: StanzaInPath,
  ) {}

  get held(): boolean {
    return this.status === 'held';
  }

  drop(reason: string): void {
    if (this.status === 'done') return;
    this.status = 'done';
    this.path.log.debug({ feature: this.current, reason, stanza: this.el.name, stanzaId: this.el.attrs.id }, 'inbound stanza dropped by a stanza-in handler');
  }

  hold(): void {
    if (this.status === 'pending') this.status = 'held';
  }

  release(): void {
    if (this.status !== 'held') return;
    this.status = 'pending';
    if (this.inHandler) return;
    const rest = this.rest ?? [];
    this.rest = undefined;
    this.path.enqueue(() => this.run(rest, 0));
  }

  async run(chain: readonly HookEntry<StanzaIn<S>>[], from: number): Promise<void> {
    for (let i = from; i < chain.length; i++) {
      const entry = chain[i]!;
      this.current = entry.owner;
      let result: unknown;
      this.inHandler = true;
      try {
        result = await entry.handler(this);
      } catch (err) {
        this.path.log.error({ err, hook: 'stanza-in', feature: entry.owner }, 'hook handler failed; skipped');
      }
      this.inHandler = false;
      if (this.status === 'held') {
        this.rest = chain.slice(i + 1);
        return;
      }
      if (this.status === 'done') return;
      if (result === 'stop') break;
    }
    this.status = 'done';
    await this.path.proceed(this.el);
  }
}
