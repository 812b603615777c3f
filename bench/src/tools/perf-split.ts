// Where each process's CPU goes per unit of work, from on-CPU samples (`perf record -g`), not V8's
// profiler: V8 samples on a wall-clock timer and charges time a thread was off the CPU to where it
// stopped (docs/performance.md, "Where the cluster's CPU goes, by CPU samples"). Each sample goes to
// the first category met walking its stack from the leaf; a sample's µs are 1e6 / frequency.
//   perf record -F 999 -g -p <pid,pid,…> -o perf.data -- sleep 6      (Node started with --perf-basic-prof-only-functions)
//   node dist/bench/src/tools/perf-split.js perf.data <name=pid,name=pid,…> <seconds> <units per second> [frequency=999]
// e.g. with the pids `bench:compare` prints for the cluster ("up on port … nats-server=… router-1=…")
// and the msg scenario's msgs/s: µs per routed stanza by process and category.
import { execFileSync } from 'node:child_process';

/** Categories, first match from the leaf wins; what matches none is `other` (GC and Go code apart). */
export const CATEGORIES: readonly (readonly [string, RegExp])[] = [
  ['socket write', /Socket\._writeGeneric|writeGeneric|writevGeneric/],
  ['NATS client', /@nats-io/],
  ['protobuf', /protobufjs|JS:.' :3:|libs\/bus\/src\/(messages|frame\.codec|hot-frame\.codec)\.js/],
  ['libs/bus', /dist\/libs\/bus\//],
  ['XML', /dist\/libs\/xml\//],
  ['TLS', /node:_tls|node:tls|node:internal\/tls|TLSWrap|SSL_|ssl3_|tls13_/],
  ["Glider's code", /dist\//],
];

/**
 * perf's map of JIT code can name a reused address after the code that was there first: frames of
 * code that only runs at start-up (the .proto parser) say nothing about a sample, so they are skipped.
 */
const START_UP_ONLY = /protobufjs\/src\/(tokenize|parse|root|namespace|type|field|util\/codegen)\.js|proto-loader/;
const GC = /Scaveng|v8::internal::Heap::|MarkCompact|Sweeper|ConcurrentMarking/;

export interface Split {
  samples: number;
  kernel: number;
  byCategory: Map<string, number>;
}

/** `perf script -F pid,tid,ip,sym` output → samples per pid, split by category, kernel leaves counted apart. */
export function splitSamples(script: string): Map<string, Split> {
  const out = new Map<string, Split>();
  for (const block of script.split(/\n\s*\n/)) {
    const lines = block
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (lines.length < 2) continue;
    const pid = lines[0]!.split('/')[0]!.trim();
    const raw = lines.slice(1);
    const frames = raw.map((l) => l.replace(/^[0-9a-f]+ /, '')).filter((f) => !START_UP_ONLY.test(f));
    let split = out.get(pid);
    if (!split) out.set(pid, (split = { samples: 0, kernel: 0, byCategory: new Map() }));
    split.samples++;
    if (/^ffff/.test(raw[0]!)) split.kernel++;
    let category: string | undefined;
    for (const f of frames) {
      category = CATEGORIES.find(([, re]) => re.test(f))?.[0];
      if (category) break;
    }
    category ??= frames[0] && GC.test(frames[0]) ? 'GC' : 'other';
    split.byCategory.set(category, (split.byCategory.get(category) ?? 0) + 1);
  }
  return out;
}

/** One line per process, busiest first: µs per unit in all, in the kernel, and per category. */
export function renderSplit(splits: Map<string, Split>, names: Map<string, string>, seconds: number, unitsPerS: number, hz: number): string {
  const us = (n: number) => (n / hz / seconds / unitsPerS) * 1e6;
  return [...splits]
    .sort((a, b) => b[1].samples - a[1].samples)
    .map(([pid, s]) => {
      const parts = [...s.byCategory].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${us(n).toFixed(1)}`);
      return `${(names.get(pid) ?? pid).padEnd(12)} ${us(s.samples).toFixed(1).padStart(6)} µs per unit (kernel ${us(s.kernel).toFixed(1)}): ${parts.join(', ')}`;
    })
    .join('\n');
}

function main(argv: string[]): void {
  const [data, pids, seconds, rate, hz = '999'] = argv;
  const nums = [Number(seconds), Number(rate), Number(hz)];
  if (!data || !pids || nums.some((n) => !Number.isFinite(n) || n <= 0)) {
    console.error('usage: perf-split.js <perf.data> <name=pid,…> <seconds> <units per second> [frequency=999]');
    process.exit(2);
  }
  const names = new Map(
    pids.split(',').map((kv) => {
      const [name, pid] = kv.split('=');
      return [pid!, name!] as const;
    }),
  );
  let script: string;
  try {
    script = execFileSync('perf', ['script', '-i', data, '-F', 'pid,tid,ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    console.error(`perf-split: perf script -i ${data} failed: ${e.code === 'ENOENT' ? 'no perf on PATH' : e.stderr?.trim() || e.message}`);
    process.exit(2);
  }
  const splits = splitSamples(script);
  for (const pid of splits.keys()) if (!names.has(pid)) splits.delete(pid);
  console.log(renderSplit(splits, names, nums[0]!, nums[1]!, nums[2]!));
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
