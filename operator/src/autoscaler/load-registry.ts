import { createHash } from 'node:crypto';
import { LoadBook, type LoadSample, type LoadSource, type LoadSourceFactory } from './load-source.js';

interface Entry {
  source: LoadSource;
  book: LoadBook;
  started: Promise<void>;
  failure?: string;
}

/**
 * One load source per bus (NATS URL and credentials), shared by the XmppClusters that use it,
 * started on first use. `onSample` lets the controller enqueue the clusters of that bus.
 */
export class LoadRegistry {
  private readonly entries = new Map<string, Entry>();
  /** The last connect failure per bus, until a connect succeeds. */
  private readonly failures = new Map<string, string>();

  constructor(
    private readonly factory: LoadSourceFactory,
    private readonly staleMs: number,
    private readonly onSample: (busKey: string, s: LoadSample) => void,
  ) {}

  static key(url: string, credentials?: string): string {
    return credentials ? `${url}#${createHash('sha256').update(credentials).digest('hex').slice(0, 12)}` : url;
  }

  /** The entry for a bus; a connect failure is kept as `problem` and retried on the next call. */
  ensure(url: string, credentials?: string): { source: LoadSource; book: LoadBook; problem: string | undefined } {
    const key = LoadRegistry.key(url, credentials);
    let e = this.entries.get(key);
    if (e?.failure) {
      void e.source.stop();
      this.entries.delete(key);
      e = undefined;
    }
    e ??= this.create(key, url, credentials);
    return { source: e.source, book: e.book, problem: e.source.problem ?? this.failures.get(key) };
  }

  private create(key: string, url: string, credentials?: string): Entry {
    const source = this.factory(url, credentials);
    const book = new LoadBook(this.staleMs);
    const entry: Entry = { source, book, started: Promise.resolve() };
    entry.started = source
      .start((s) => {
        book.record(s);
        this.onSample(key, s);
      })
      .then(() => {
        if (this.failures.delete(key))
          this.onSample(key, { component: '', instance: '', connections: 0, stanzasPerSecond: 0, atMs: Date.now(), draining: false });
      })
      .catch((err: Error) => {
        entry.failure = source.problem ?? `NATS ${url} unreachable: ${err.message}`;
        this.failures.set(key, entry.failure);
        this.onSample(key, { component: '', instance: '', connections: 0, stanzasPerSecond: 0, atMs: Date.now(), draining: false });
      });
    this.entries.set(key, entry);
    return entry;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries.values()].map(async (e) => e.source.stop().catch(() => undefined)));
    this.entries.clear();
  }
}
