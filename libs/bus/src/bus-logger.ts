/** The part of a pino logger the bus needs (any pino logger fits). */
export interface BusLogger {
  error(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export const silentLogger: BusLogger = { error: () => undefined };
