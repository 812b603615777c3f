// Resource use of the server under test, read from /proc: resident memory and CPU time of a
// process and all its descendants (ejabberd's beam and port programs, a cluster's children).
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = 100;

export interface ServerProcess {
  name: string;
  pid: number;
}

function stat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** The pid and every live descendant. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (!s) continue;
    const list = parents.get(s.ppid) ?? [];
    list.push(pid);
    parents.set(s.ppid, list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(parents.get(pid) ?? []));
  }
  return out;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident set size of the process tree, KiB. */
export function treeRssKiB(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + rssKiB(pid), 0);
}

/** CPU time (user + system) of the process tree, microseconds. */
export function treeCpuUs(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + (stat(pid)?.cpuTicks ?? 0), 0) * (1e6 / CLOCK_TICKS_PER_S);
}

export function cpuSnapshot(procs: ServerProcess[]): Map<string, number> {
  return new Map(procs.map((p) => [p.name, treeCpuUs(p.pid)]));
}

/** CPU microseconds each process used since `before`. */
export function cpuSince(procs: ServerProcess[], before: Map<string, number>): Record<string, number> {
  return Object.fromEntries(procs.map((p) => [p.name, treeCpuUs(p.pid) - (before.get(p.name) ?? 0)]));
}
