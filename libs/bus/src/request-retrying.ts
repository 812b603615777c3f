import { setTimeout as sleep } from 'node:timers/promises';
import { BusNoRespondersError, BusTimeoutError, type Bus } from './bus.js';

export interface RequestRetryingOptions {
  /** The whole budget, retries included. */
  timeoutMs: number;
  /** First pause after "no responders"; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/**
 * request() that rides out a moment with no responders — a partition changing owner, a router
 * restarting — by retrying until `timeoutMs` is spent. Rejects like request() otherwise.
 */
export async function requestRetrying(bus: Bus, subject: string, data: Uint8Array, opts: RequestRetryingOptions): Promise<Uint8Array> {
  const deadline = Date.now() + opts.timeoutMs;
  let delay = opts.retryDelayMs ?? 5;
  let noResponders: BusNoRespondersError | undefined;
  for (;;) {
    const left = deadline - Date.now();
    // Spent while pausing to retry (a busy machine oversleeps): the last answer was "no responders".
    if (left <= 0) throw noResponders ?? new BusTimeoutError(`no reply on ${subject} within ${opts.timeoutMs} ms`);
    try {
      return await bus.request(subject, data, { timeoutMs: left });
    } catch (err) {
      if (!(err instanceof BusNoRespondersError) || Date.now() + delay >= deadline) throw err;
      noResponders = err;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, opts.maxRetryDelayMs ?? 100);
  }
}
