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
  /** Source addresses (127.0.0.x) spread over the connections: user u binds to [u % n]; each has its own ephemeral ports. */
  localAddresses?: string[];
}

/** soak: a steady rate, open loop, measured per interval of `intervalMs` from `startAtEpochMs`. */
export interface RateRun {
  /** This process's share of the rate, messages per second (all its pairs together). */
  ratePerS: number;
  /** Wall-clock start shared by every process and the coordinator's sampler. */
  startAtEpochMs: number;
  durationMs: number;
  intervalMs: number;
  drainMs: number;
  bodyBytes: number;
  /** Open loop, but bounded: no new message while this many are in flight (a stalled server). */
  maxInFlight: number;
  /** Idle connections send a whitespace keepalive this often (spread over the period); 0: never. */
  keepaliveMs: number;
}

export interface RateInterval {
  sent: number;
  delivered: number;
  /** Sends skipped because maxInFlight was reached. */
  held: number;
  latency: HistogramJson;
}

export interface RateResult {
  intervals: RateInterval[];
  sent: number;
  counts: DeliveryCounts;
  /** Idle connections found closed at the end (must be 0). */
  idleLost: number;
  idleOpen: number;
  errors: string[];
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
  | ({ op: 'rateRun' } & RateRun)
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
