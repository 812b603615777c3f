import type { Logger } from '#libs/telemetry';

/** What a stream logs through (features use only these). */
export type StreamLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** A stream's log while info is off: info and debug drop, warn and error go to the real child. */
export class QuietStreamLog {
  constructor(private readonly full: () => Logger) {}
  debug(): void {}
  info(): void {}
  warn(...args: unknown[]): void {
    const log = this.full();
    Reflect.apply(log.warn, log, args);
  }
  error(...args: unknown[]): void {
    const log = this.full();
    Reflect.apply(log.error, log, args);
  }
}

/**
 * A stream's logger: sid, ip, the transport it opened on, and fields bound later (jid). The pino
 * child is built on first use, and not for info/debug lines while the level drops them, since most
 * streams log nothing at the usual levels and a child costs a login measurable time.
 */
export class StreamLogger {
  private logger: Logger | undefined;
  private quiet: QuietStreamLog | undefined;
  private readonly bindings: Record<string, unknown>[] = [];

  constructor(
    private readonly parent: Logger,
    private readonly base: () => Record<string, unknown>,
  ) {}

  get log(): StreamLog {
    if (this.logger || this.parent.isLevelEnabled('info')) return this.full();
    return (this.quiet ??= new QuietStreamLog(() => this.full()));
  }

  full(): Logger {
    if (!this.logger) {
      this.logger = this.parent.child(this.base());
      for (const b of this.bindings) this.logger = this.logger.child(b);
    }
    return this.logger;
  }

  bind(fields: Record<string, unknown>): void {
    this.bindings.push(fields);
    if (this.logger) this.logger = this.logger.child(fields);
  }
}
