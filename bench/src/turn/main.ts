// `npm run bench:turn`: TURN relay throughput, added latency and CPU per packet, Glider's relay
// beside coturn on the same machine in the same run (docs/performance.md, "TURN relay").
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { echoPeer, runRelayLoad, type RelayLoadResult } from './relay-load.js';
import { startCoturnTarget, startGliderTarget, type RelayTarget } from './relay-targets.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1200' },
    seconds: { type: 'string', default: '5' },
    allocations: { type: 'string', default: '4' },
    window: { type: 'string', default: '32' },
    targets: { type: 'string', default: 'glider,coturn' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('npm run bench:turn -- [--sizes 100,1200] [--seconds 5] [--allocations 4] [--window 32] [--targets glider,coturn,coturn-1]');
  process.exit(0);
}
const num = (s: string, what: string): number => {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${what} must be a positive number, got "${s}"`);
  return n;
};
const sizes = values.sizes.split(',').map((s) => num(s, 'sizes'));
const durationMs = num(values.seconds, 'seconds') * 1000;
const allocations = num(values.allocations, 'allocations');
const window = num(values.window, 'window');
const MAX_ROUND_TRIPS = 5_000_000;
const LATENCY = { allocations: 1, window: 1, durationMs: 2000, maxRoundTrips: 4000 };

const secret = randomBytes(24).toString('base64url');
const peer = await echoPeer();
const rows: Array<{ target: string; size: number; load: RelayLoadResult; latency: RelayLoadResult; baseline: RelayLoadResult }> = [];
const starters: Record<string, () => Promise<RelayTarget>> = {
  glider: () => startGliderTarget(secret),
  coturn: () => startCoturnTarget(secret),
  'coturn-1': () => startCoturnTarget(secret, 0),
};
try {
  for (const size of sizes) {
    for (const name of values.targets.split(',')) {
      const start = starters[name];
      if (!start) throw new Error(`unknown target "${name}" (glider, coturn, coturn-1)`);
      const t = await start();
      try {
        const relay = { server: { host: t.host, port: t.port, secret }, pid: t.pid };
        // the baseline right before the relay's own latency run, so both see the same machine load
        const baseline = await runRelayLoad({ ...LATENCY, payloadBytes: size }, peer);
        const latency = await runRelayLoad({ ...LATENCY, payloadBytes: size }, peer, relay);
        const load = await runRelayLoad({ allocations, window, payloadBytes: size, durationMs, maxRoundTrips: MAX_ROUND_TRIPS }, peer, relay);
        rows.push({ target: t.name, size, load, latency, baseline });
        console.log(JSON.stringify({ target: t.name, size, pps: Math.round(load.packetsPerSec), cpuUsPerPacket: load.cpuUsPerPacket, lost: load.lost }));
      } finally {
        await t.stop();
      }
    }
  }
} finally {
  peer.socket.close();
}

const f = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  '\n| relay | packet | relayed pkt/s | Mbit/s | lost | RTT via relay p50 / p99 (µs, 1 in flight) | added p50 / p99 (µs) | relay CPU µs/pkt | pkt/s per core |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const cpu = r.load.cpuUsPerPacket ?? NaN;
  const added = (q: number): number => r.latency.rtt.quantile(q) - r.baseline.rtt.quantile(q);
  console.log(
    `| ${r.target} | ${r.size} B | ${f(r.load.packetsPerSec)} | ${f(r.load.mbitPerSec, 1)} | ${r.load.lost} | ${f(r.latency.rtt.quantile(0.5))} / ${f(r.latency.rtt.quantile(0.99))} | ${f(added(0.5))} / ${f(added(0.99))} | ${f(cpu, 2)} | ${f(1e6 / cpu)} |`,
  );
}
const base = rows.filter((r) => r.target === 'glider');
for (const g of base) {
  const c = rows.find((r) => r.target === 'coturn' && r.size === g.size);
  if (c?.load.cpuUsPerPacket && g.load.cpuUsPerPacket) {
    console.log(
      `\n${g.size} B: Glider/coturn packets/s per core = ${f(c.load.cpuUsPerPacket / g.load.cpuUsPerPacket, 2)}; measured packets/s ratio = ${f(g.load.packetsPerSec / c.load.packetsPerSec, 2)}`,
    );
  }
}
console.log(
  `\nbaseline RTT without a relay, measured before each row (p50/p99 µs): ${rows.map((r) => `${r.target} ${r.size} B ${f(r.baseline.rtt.quantile(0.5))}/${f(r.baseline.rtt.quantile(0.99))}`).join(', ')}`,
);
