import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger | undefined;

/** JSON logs (pino) on stdout; fields sid, jid, stanzaId, traceId where known (STYLE.md §9). */
export function rootLogger(level = 'info', service = 'glider'): Logger {
  if (!root) root = pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}
