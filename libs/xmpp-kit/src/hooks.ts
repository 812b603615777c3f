/**
 * Typed hooks: each app declares its vocabulary once, as an interface from hook name to the
 * argument the handlers get (see apps/router/src/router.hooks.ts). Handlers run by priority
 * (higher first); one that returns 'stop' ends the chain; one that throws is logged and skipped,
 * it never kills a stream.
 */
export type HookResult = 'stop' | 'continue' | void;
export type HookHandler<A> = (arg: A) => HookResult | Promise<HookResult>;

/**
 * Marks a hook's argument type as synchronous: its handlers must answer at once (the app runs the
 * chain itself, e.g. the edge's `stanza-out` on every write), so `on()` refuses an async handler.
 */
export interface SyncHookArg {
  readonly synchronousHook: true;
}
/** The handler type `on()` accepts for an argument type: synchronous for a SyncHookArg. */
export type HandlerFor<A> = [A] extends [SyncHookArg] ? (arg: A) => HookResult : HookHandler<A>;

/** What a setup returns: calling it undoes the registration. */
export type Registration = () => void;

export interface HookLogger {
  error(obj: object, msg: string): void;
}

/** One registered handler, as `handlers()` lists it. */
export interface HookEntry<A> {
  readonly handler: HookHandler<A>;
  readonly priority: number;
  readonly owner: string;
  /** Runs only where the app asks for the opted-in chain (`handlers(name, true)`), e.g. streams a feature is active on. */
  readonly optIn?: boolean;
}
type Entry<A> = HookEntry<A>;

export class Hooks<V extends object> {
  // Each chain holds the entries of one hook name: `on` and `run` pair V[K] with its own key.
  private readonly chains = new Map<keyof V, Entry<never>[]>();
  /** Per name, the chain without its opt-in handlers (made on first ask, dropped on every change). */
  private readonly always = new Map<keyof V, Entry<never>[]>();

  constructor(private readonly log: HookLogger) {}

  on<K extends keyof V>(name: K, handler: HandlerFor<V[K]>, opts: { priority?: number; owner?: string; optIn?: boolean } = {}): Registration {
    const entry: Entry<V[K]> = { handler, priority: opts.priority ?? 0, owner: opts.owner ?? 'anonymous', ...(opts.optIn ? { optIn: true } : {}) };
    // A chain is never changed in place (a new array per change): a run iterates the one it started with.
    this.chains.set(
      name,
      [...(this.chains.get(name) ?? []), entry].sort((a, b) => b.priority - a.priority),
    );
    this.always.delete(name);
    return () => {
      const current = this.chains.get(name);
      if (!current?.includes(entry)) return;
      this.chains.set(
        name,
        current.filter((e) => e !== entry),
      );
      this.always.delete(name);
    };
  }

  private chain<K extends keyof V>(name: K): Entry<V[K]>[] | undefined {
    return this.chains.get(name) as Entry<V[K]>[] | undefined;
  }

  has(name: keyof V): boolean {
    return (this.chains.get(name)?.length ?? 0) > 0;
  }

  /**
   * The chain in the order it runs, or undefined when empty: for a hook its app runs itself (the
   * edge runs `stanza-out` synchronously and resumes a held stanza's chain after its holder). The
   * array is never changed: a registration or its undo makes a new one, so it may be kept.
   */
  handlers<K extends keyof V>(name: K, withOptIn = true): readonly HookEntry<V[K]>[] | undefined {
    let chain = this.chain(name);
    if (!withOptIn && chain) {
      let plain = this.always.get(name) as Entry<V[K]>[] | undefined;
      if (!plain) {
        plain = chain.filter((e) => !e.optIn);
        this.always.set(name, plain);
      }
      chain = plain;
    }
    return chain && chain.length > 0 ? chain : undefined;
  }

  /**
   * Runs the chain; resolves 'stop' if a handler stopped it, else 'continue'. A handler that answers
   * at once is not awaited (a microtask turn per handler per stanza, for nothing); one that returns
   * a promise is, so the next handler still starts only after it settled.
   */
  async run<K extends keyof V>(name: K, arg: V[K]): Promise<'stop' | 'continue'> {
    return this.runNow(name, arg);
  }

  /**
   * run() without a promise when it needs none: the answer itself when every handler answered at
   * once (a hot path's hooks: the router runs three chains per message), else a promise of it.
   */
  runNow<K extends keyof V>(name: K, arg: V[K]): 'stop' | 'continue' | Promise<'stop' | 'continue'> {
    const chain = this.chain(name);
    return chain && chain.length > 0 ? this.runFrom(chain, 0, name, arg) : 'continue';
  }

  private runFrom<K extends keyof V>(chain: readonly Entry<V[K]>[], from: number, name: K, arg: V[K]): 'stop' | 'continue' | Promise<'stop' | 'continue'> {
    for (let i = from; i < chain.length; i++) {
      const entry = chain[i]!;
      let result: HookResult | Promise<HookResult>;
      try {
        result = entry.handler(arg);
      } catch (err) {
        this.failed(err, name, entry);
        continue;
      }
      if (typeof result === 'object' && result !== null) return this.resume(result, chain, i, name, arg);
      if (result === 'stop') return 'stop';
    }
    return 'continue';
  }

  private async resume<K extends keyof V>(
    pending: Promise<HookResult>,
    chain: readonly Entry<V[K]>[],
    at: number,
    name: K,
    arg: V[K],
  ): Promise<'stop' | 'continue'> {
    try {
      if ((await pending) === 'stop') return 'stop';
    } catch (err) {
      this.failed(err, name, chain[at]!);
    }
    return this.runFrom(chain, at + 1, name, arg);
  }

  private failed(err: unknown, name: keyof V, entry: Entry<never>): void {
    this.log.error({ err, hook: String(name), feature: entry.owner }, 'hook handler failed; skipped');
  }
}
