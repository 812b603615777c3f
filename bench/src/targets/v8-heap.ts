// `--profile`, idle part: a heap snapshot of Glider holding the idle connections, summarised by
// constructor as bytes per connection, to show what a connection costs on the V8 heap (TLS
// buffers live outside it, in OpenSSL, and show only in RSS).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * SIGWINCH, not the usual SIGUSR2: Nest's shutdown hooks (libs/runtime's run-app) end the process
 * on SIGUSR2, so the first snapshot was also the server's last. SIGWINCH's default is to ignore.
 */
const SNAPSHOT_SIGNAL = 'SIGWINCH';

export function heapArgs(dir: string): string[] {
  return [`--heapsnapshot-signal=${SNAPSHOT_SIGNAL}`, `--diagnostic-dir=${dir}`];
}

/** Signals `pid` to write a snapshot into `dir` and waits (up to 2 min) until the file is complete. */
export async function takeSnapshot(pid: number, dir: string): Promise<string | undefined> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, SNAPSHOT_SIGNAL);
  let last = -1;
  for (let i = 0; i < 240; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === last) return join(dir, file);
    last = size;
  }
  return undefined;
}

export type HeapGroups = Map<string, { bytes: number; count: number }>;

/** Self size and count by constructor (objects, closures) or node type (strings, code, arrays…). */
export function heapGroups(file: string): HeapGroups {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = (['type', 'name', 'self_size'] as const).map((f) => fields.indexOf(f)) as [number, number, number];
  const groups: HeapGroups = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + iType]!] ?? 'unknown';
    // native: Node's C++ objects that report their size (TLSWrap, its buffers), by class
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${snap.strings[snap.nodes[i + iName]!]}` : type;
    const g = groups.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += snap.nodes[i + iSize]!;
    g.count++;
    groups.set(key, g);
  }
  return groups;
}

/**
 * The heap as bytes per connection. Node writes only one snapshot per process on the signal, so
 * there is no baseline: the first list includes start-up (code, strings), the second keeps the
 * object kinds that exist about once per connection or more, which is what a connection adds.
 */
export function summarisePerConnection(groups: HeapGroups, connections: number, top = 15): string {
  const n = Math.max(1, connections);
  const total = [...groups.values()].reduce((sum, g) => sum + g.bytes, 0);
  const row = ([k, g]: [string, { bytes: number; count: number }]) =>
    `  ${(g.bytes / n / 1024).toFixed(2).padStart(7)} KiB  ${(g.count / n).toFixed(1).padStart(7)} ×  ${k.slice(0, 80)}`;
  const sorted = [...groups].sort((a, b) => b[1].bytes - a[1].bytes);
  const perConn = sorted.filter(([k, g]) => k.startsWith('object ') && k !== 'object system / Context' && g.count >= 0.9 * n);
  return [
    `V8 heap with ${connections} idle connections: ${(total / 1048576).toFixed(1)} MiB, ${(total / n / 1024).toFixed(1)} KiB per connection including start-up (TLS buffers are outside the heap)`,
    '  per conn      count/conn  group (largest, start-up included)',
    ...sorted.slice(0, top).map(row),
    '  object kinds with at least one instance per connection:',
    ...perConn.slice(0, top).map(row),
  ].join('\n');
}

/**
 * The comparison of two snapshots of one process, before and while `connections` idle sessions are
 * open: what each group grew by, per connection, largest first. Start-up cancels out.
 */
export function diffPerConnection(before: HeapGroups, after: HeapGroups, connections: number, top = 30): string {
  const n = Math.max(1, connections);
  const keys = new Set([...before.keys(), ...after.keys()]);
  const rows = [...keys].map((k) => {
    const a = before.get(k) ?? { bytes: 0, count: 0 };
    const b = after.get(k) ?? { bytes: 0, count: 0 };
    return { k, bytes: (b.bytes - a.bytes) / n, count: (b.count - a.count) / n };
  });
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  rows.sort((x, y) => y.bytes - x.bytes);
  return [
    `V8 heap snapshot, ${connections} idle sessions against none (same process): +${(total / 1024).toFixed(2)} KiB per connection`,
    '  KiB/conn   count/conn  group',
    ...rows.slice(0, top).map((r) => `  ${(r.bytes / 1024).toFixed(3).padStart(8)}  ${r.count.toFixed(2).padStart(9)}  ${r.k.slice(0, 90)}`),
  ].join('\n');
}
