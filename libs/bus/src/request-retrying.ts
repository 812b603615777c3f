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
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new BusTimeoutError(`no reply on ${subject} within ${opts.timeoutMs} ms`);
    try {
      return await bus.request(subject, data, { timeoutMs: left });
    } catch (err) {
      if (!(err instanceof BusNoRespondersError) || Date.now() + delay >= deadline) throw err;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, opts.maxRetryDelayMs ?? 100);
  }
}
