// Messages between the coordinator and its generator processes (node IPC, JSON).
import type { HistogramJson } from '../stats/histogram.js';
import type { DeliveryCounts } from '../stats/sequence-tracker.js';

export interface TargetSpec {
  host: string;
  port: number;
  /** Further c2s ports of the same deployment: user u connects to [port, ...altPorts][u % n]. */
  altPorts?: number[];
  domain: string;
  userPrefix: string;
  password: string;
  mucDomain: string;
  timeoutMs: number;
  /** Clients enable XEP-0198 stream management and answer the server's ack requests. */
  sm?: boolean;
}

export interface StreamRun {
  durationMs: number;
  warmupMs: number;
  drainMs: number;
  window: number;
  bodyBytes: number;
}

export type Command =
  | { op: 'login'; target: TargetSpec; from: number; count: number; users: number; concurrency: number }
  | { op: 'idle'; target: TargetSpec; users: number[]; concurrency: number }
  | { op: 'msgSetup'; target: TargetSpec; pairs: number[]; concurrency: number }
  | { op: 'mucSetup'; target: TargetSpec; rooms: number[]; occupants: number; concurrency: number; joinWave: number; joinMsPerOccupant: number }
  | ({ op: 'msgRun' | 'mucRun' } & StreamRun)
  | { op: 'closeAll' }
  | { op: 'cacheExport' }
  | { op: 'cacheImport'; entries: Array<[string, string]> };

export interface ConnectResult {
  connected: number;
  failed: number;
  errors: string[];
  mechanism: string;
  phases: Record<string, HistogramJson>;
}

export interface StreamResult {
  sent: number;
  /** Deliveries inside the measured window. */
  delivered: number;
  latency: HistogramJson;
  counts: DeliveryCounts;
  errors: string[];
}

export interface Usage {
  cpuUs: number;
  wallMs: number;
}

export type Reply = { id: number; ok: true; result: unknown; usage: Usage } | { id: number; ok: false; error: string; usage: Usage };
