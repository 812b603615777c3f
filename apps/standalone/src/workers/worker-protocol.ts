/** What the primary and an edge worker say to each other on the worker's own port (not the bus). */
import type { MessagePort } from 'node:worker_threads';

export interface EdgeWorkerData {
  /** 1-based, for logs and the worker's label on /metrics. */
  index: number;
  /** Config over file and env: the worker's edge id, reusePort, fixed ports once the first worker bound them. */
  overrides: Record<string, unknown>;
  /** The worker's end of its bus channel (a PortBus); the primary holds the PortBusHost. */
  busPort: MessagePort;
}

export interface BoundPorts {
  c2sPort: number;
  directTlsPort: number;
  wssPort: number;
  wsPort?: number;
  s2sPort?: number;
  s2sDirectTlsPort?: number;
}

/** `sighup`: signals reach only the main thread; the primary passes SIGHUP (reload the certificate) on. */
export type ToEdgeWorker = { t: 'stop' } | { t: 'sighup' } | { t: 'health'; c: number } | { t: 'metrics'; c: number };

export type FromEdgeWorker =
  | { t: 'ready'; ports: BoundPorts }
  | { t: 'failed'; error: string }
  | { t: 'health'; c: number; ready: boolean; checks: Record<string, string> }
  | { t: 'metrics'; c: number; text: string };
