import type { Logger } from '#libs/telemetry';

/** One failed SASL exchange, as logged. The secret is never part of it. */
export interface FailedLogin {
  /** Bare JID the client named, when it got that far. */
  account?: string;
  address: string;
  mechanism?: string;
  /** RFC 6120 §6.5 condition, with the mechanism's text when there is one. */
  reason: string;
}

export interface FailedLoginLogOptions {
  /** Lines written per interval at most; the rest are counted. */
  maxLines: number;
  intervalMs: number;
}

/**
 * Logs failed logins (warn, `event: "auth-failed"`), at most `maxLines` per `intervalMs`: past that
 * they are counted, and one summary line (`event: "auth-failed-suppressed"`, `suppressed: n`) ends
 * the interval, so a flood costs a bounded number of lines whatever its size (issue 8).
 */
export class FailedLoginLog {
  private windowStart = 0;
  private written = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly opts: FailedLoginLogOptions,
    private readonly now: () => number = Date.now,
  ) {}

  record(f: FailedLogin): void {
    const now = this.now();
    if (now - this.windowStart >= this.opts.intervalMs) {
      this.flush();
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.opts.maxLines) {
      this.written++;
      this.logger.warn({ event: 'auth-failed', account: f.account, address: f.address, mechanism: f.mechanism, reason: f.reason }, 'failed login');
      return;
    }
    this.suppressed++;
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        this.flush();
      },
      Math.max(0, this.windowStart + this.opts.intervalMs - now),
    ).unref();
  }

  /** Writes the summary of what was suppressed, if anything was. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    this.logger.warn(
      { event: 'auth-failed-suppressed', suppressed: this.suppressed, intervalMs: this.opts.intervalMs },
      `${this.suppressed} more failed logins not logged`,
    );
    this.suppressed = 0;
  }
}
