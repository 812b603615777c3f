// A server the compare run starts, fills with accounts, measures and stops.
import type { ServerProcess } from '../load/process-stats.js';

export interface RunningTarget {
  label: string;
  host: string;
  port: number;
  /** More c2s ports of the same deployment (other edges); users are spread over all. */
  altPorts?: number[];
  domain: string;
  mucDomain: string;
  /** Processes whose RSS and CPU are measured (a cluster lists each component). */
  processes: ServerProcess[];
  /** The server's Prometheus endpoint, where it has one (the soak reads lag and GC there). */
  metricsUrl?: string;
  /** What was tuned or lifted, printed with the results. */
  notes: string[];
  stop(): Promise<void>;
  /** After stop: a profile summary, when one was taken. */
  report?(): string;
  /** With `profile`: what the server holds per connection, taken while `connections` are open. */
  heapReport?(connections: number): Promise<string>;
}

/** Either a running target or why it cannot run here. */
export type StartOutcome = { ok: true; target: RunningTarget } | { ok: false; reason: string };

export interface TargetRequest {
  /** A fresh temporary directory owned by this target. */
  dir: string;
  domain: string;
  userPrefix: string;
  password: string;
  users: number;
  /** Extra environment for the server process (Glider: `GLIDER_*` keys, e.g. media-relay for the upload bench). */
  env?: Record<string, string>;
  /** Run under the V8 profiler where the target supports it (Glider standalone). */
  profile?: boolean;
  /** Heap snapshots only (no profiler): with no idle session and with them, compared per connection. */
  heap?: boolean;
}
