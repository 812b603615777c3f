import { MongoError, MongoNetworkError, MongoNotConnectedError, MongoServerError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import type { Logger } from '#libs/telemetry';
import { StorageUnavailableError } from '../ports/errors.js';

/** Server codes that mean "this server cannot answer right now" (shutdown, step-down, network). */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
/** Server codes that mean "not with these credentials": unusable until an operator acts. */
const REFUSED_CODES = new Set([13, 18]);
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1_000;

export const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}

/** True for failures a later attempt may not see: the server restarting, a dropped connection. */
export function isTransient(err: unknown): boolean {
  if (err instanceof MongoTopologyClosedError) return false; // we closed the client ourselves
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError) return true;
  if (err instanceof MongoNotConnectedError) return true;
  if (!(err instanceof MongoError)) return false;
  if (err.name === 'MongoPoolClearedError') return true;
  if (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('ResetPool')) return true;
  return typeof err.code === 'number' && TRANSIENT_CODES.has(err.code);
}

/**
 * Runs one storage operation, retrying transient failures until `budgetMs` has passed, then fails
 * with StorageUnavailableError so the caller bounces the stanza instead of dropping it. Operations
 * must be idempotent or detect their own earlier attempt (`attempt` > 1 says one may have landed).
 */
export class MongoRetry {
  constructor(
    private readonly budgetMs: number,
    private readonly logger: Logger,
    private readonly isClosed: () => boolean,
  ) {}

  async run<T>(what: string, op: (attempt: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.budgetMs;
    let delay = FIRST_DELAY_MS;
    for (let attempt = 1; ; attempt++) {
      if (this.isClosed()) throw new StorageUnavailableError(`${what}: storage is closed`);
      try {
        return await op(attempt);
      } catch (err) {
        if (err instanceof MongoTopologyClosedError) {
          throw new StorageUnavailableError(`${what}: storage is closed`, { cause: err });
        }
        if (err instanceof MongoServerError && REFUSED_CODES.has(err.code as number)) {
          throw new StorageUnavailableError(`${what}: MongoDB refused: ${err.message}`, { cause: err });
        }
        if (!isTransient(err)) throw err;
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new StorageUnavailableError(`${what}: MongoDB unavailable for ${this.budgetMs} ms (${(err as Error).message})`, { cause: err });
        }
        this.logger.debug({ what, attempt, err: (err as Error).message }, 'MongoDB operation failed; retrying');
        await sleep(Math.min(delay, left));
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
