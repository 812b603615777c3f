import type { GliderConfig } from '#libs/config';
import { TokenBucket } from '../limits/token-bucket.js';
import type { Transport } from '../transport/transport.js';

type Limits = GliderConfig['edge']['limits'];

/**
 * The read side's flow control: the read rate (a token bucket) and the in-order element queue.
 * Either pauses the transport; reading resumes when no reason holds.
 */
export class InboundFlow {
  private queued = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly pausedFor = new Set<'rate' | 'queue'>();
  private readonly bucket: TokenBucket;

  constructor(
    private readonly transport: Transport,
    private readonly limits: Limits,
    private readonly timer: (ms: number, fn: () => void) => void,
  ) {
    this.bucket = new TokenBucket(limits.readBytesPerSecond, limits.readBurstBytes);
  }

  /** Counts bytes read against edge.limits.readBytesPerSecond; past the burst, reading pauses for the debt. */
  read(size: number): void {
    const wait = this.bucket.take(size);
    if (wait > 0) {
      this.setPaused('rate', true);
      this.timer(wait, () => this.setPaused('rate', false));
    }
  }

  /**
   * Elements are handled one at a time, in order; a handler may be async (SASL, bind, a stanza
   * waiting for the router). Past edge.limits.maxQueuedStanzas waiting, reading pauses until the
   * queue is half empty, so a peer that sends faster than it is served is slowed, not buffered.
   * `skip` is asked when `fn`'s turn comes (the stream closed meanwhile).
   */
  enqueue(fn: () => void | Promise<void>, skip: () => boolean, onError: (err: unknown) => void): void {
    this.queued++;
    if (this.queued > this.limits.maxQueuedStanzas) this.setPaused('queue', true);
    this.queue = this.queue
      .then(() => (skip() ? undefined : fn()))
      .catch(onError)
      .finally(() => {
        this.queued--;
        if (this.queued <= this.limits.maxQueuedStanzas / 2) this.setPaused('queue', false);
      });
  }

  /**
   * Every element queued so far has been handled or skipped (and those their handlers queued in
   * turn). Never call it from the stream's own handlers: they are part of what it waits for.
   */
  async idle(): Promise<void> {
    for (let q = this.queue; ; q = this.queue) {
      await q;
      if (q === this.queue) return;
    }
  }

  private setPaused(reason: 'rate' | 'queue', paused: boolean): void {
    if (paused === this.pausedFor.has(reason)) return;
    if (paused) this.pausedFor.add(reason);
    else this.pausedFor.delete(reason);
    if (this.pausedFor.size > 0) this.transport.pause();
    else this.transport.resume();
  }
}
