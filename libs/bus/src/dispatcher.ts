/**
 * Asynchronous FIFO delivery for the in-process bus: publish() only enqueues; handlers run on a
 * later turn of the event loop (setImmediate, so a busy publisher never starves I/O), in order.
 */
export class Dispatcher {
  private queue: Array<() => void> = [];
  private scheduled = false;

  push(fn: () => void): void {
    this.queue.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Resolves once everything queued before this call has run. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.push(resolve));
  }

  private readonly drain = (): void => {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (const fn of batch) fn();
  };
}
