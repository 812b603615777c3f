import { pino } from 'pino';

export type Logger = Pick<pino.Logger, 'info' | 'warn' | 'error' | 'debug' | 'child'>;

/** JSON logs (pino); tests pass level `silent` or `warn`. */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { component: 'glider-operator' } });
}
