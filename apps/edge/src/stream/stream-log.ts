import type { Logger } from '#libs/telemetry';

/** What a stream logs through (features use only these). */
export type StreamLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

type AnyLogFn = (...args: unknown[]) => void;

/** A stream's log while info is off: info and debug drop, warn and error go to the real child. */
export class QuietStreamLog {
  constructor(private readonly full: () => Logger) {}
  debug(): void {}
  info(): void {}
  warn(...args: unknown[]): void {
    const log = this.full();
    (log.warn as AnyLogFn).apply(log, args);
  }
  error(...args: unknown[]): void {
    const log = this.full();
    (log.error as AnyLogFn).apply(log, args);
  }
}
