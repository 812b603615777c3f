// Everything a bench run needs: the server under test and the size of each scenario.
import type { ServerProcess } from '../load/process-stats.js';
import type { TargetSpec } from '../load/protocol.js';
import type { ScenarioName } from './result.js';

export interface BenchOptions {
  label: string;
  target: TargetSpec;
  scenarios: ScenarioName[];
  /** Accounts `${userPrefix}0` … `${userPrefix}${users - 1}` exist with `password`. */
  users: number;
  logins: number;
  loginConcurrency: number;
  pairs: number;
  window: number;
  durationS: number;
  warmupS: number;
  bodyBytes: number;
  idle: number;
  rooms: number;
  occupants: number;
  /** muc: occupants joining a room at once (the next wave once these are in); 0: all at once. */
  joinWave: number;
  /** muc: join time allowed per occupant already in the room (a join is announced to each, §7.2.3). */
  joinMsPerOccupant: number;
  workers: number;
  serverProcesses: ServerProcess[];
  /** Called before the idle connections open (0) and while they are open (compare --profile takes heap snapshots). */
  onIdleConnected?: (connections: number) => Promise<void>;
}

export const DEFAULTS: Omit<BenchOptions, 'label' | 'target' | 'serverProcesses'> = {
  scenarios: ['idle', 'login', 'msg', 'muc'],
  users: 2000,
  logins: 2000,
  loginConcurrency: 50,
  pairs: 50,
  window: 10,
  durationS: 10,
  warmupS: 2,
  bodyBytes: 64,
  idle: 2000,
  rooms: 10,
  occupants: 10,
  joinWave: 0,
  joinMsPerOccupant: 60,
  workers: 2,
};

/** Accounts the chosen scenarios need. */
export function usersNeeded(o: Pick<BenchOptions, 'scenarios' | 'logins' | 'pairs' | 'idle' | 'rooms' | 'occupants'>): number {
  const need = { login: Math.min(o.logins, 2000), msg: 2 * o.pairs, idle: o.idle, muc: o.rooms * o.occupants };
  return Math.max(1, ...o.scenarios.map((s) => need[s]));
}
