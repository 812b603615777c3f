// What one scenario run against one server produced: printed as a table row and one JSON line.
import type { Usage } from '../load/protocol.js';

export type ScenarioName = 'login' | 'msg' | 'idle' | 'muc';

export interface ScenarioResult {
  scenario: ScenarioName;
  target: string;
  params: Record<string, number | string>;
  /** Figures, named with their unit (`_per_s`, `_ms`, `_kib`, `_us`). */
  metrics: Record<string, number>;
  generator: GeneratorUse;
  /** CPU microseconds per unit of work (login, delivered stanza) for each server process. */
  serverCpuPerUnitUs: Record<string, number>;
  errors: string[];
}

export interface GeneratorUse {
  processes: number;
  /** Cores used by all generator processes together during the measured phase. */
  cores: number;
  /** The busiest process, as a fraction of one core; near 1 means the generator may be the limit. */
  busiest: number;
  saturated: boolean;
}

const SATURATED = 0.9;

export function generatorUse(usages: Usage[], wallMs: number): GeneratorUse {
  const fractions = usages.map((u) => u.cpuUs / Math.max(1, wallMs * 1000));
  const busiest = Math.max(0, ...fractions);
  return {
    processes: usages.length,
    cores: fractions.reduce((a, b) => a + b, 0),
    busiest,
    saturated: busiest >= SATURATED,
  };
}

export function perUnit(cpuUs: Record<string, number>, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpuUs).map(([k, v]) => [k, units > 0 ? v / units : 0]));
}

export const ms = (us: number): number => Math.round(us / 10) / 100;
