import type { MessagePort } from 'node:worker_threads';

/**
 * Collects what one side sends and posts it as one array per event-loop turn (setImmediate): a
 * `postMessage` costs a structured clone and a wake-up of the other thread, so a turn that routes
 * many stanzas pays it once. `flushNow` posts at once (close, and flush() round trips).
 */
export class PortBatcher<T> {
  private batch: T[] = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly port: MessagePort) {}

  send(msg: T): void {
    if (this.closed) return;
    this.batch.push(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  readonly flushNow = (): void => {
    this.scheduled = false;
    if (this.batch.length === 0 || this.closed) return;
    const batch = this.batch;
    this.batch = [];
    this.port.postMessage(batch);
  };

  close(): void {
    this.flushNow();
    this.closed = true;
  }
}
