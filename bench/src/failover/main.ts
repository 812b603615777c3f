// `npm run bench:failover` (issue 10, "Benchmark (not a test)"): how long an edge's death costs its
// clients with stream management. The local cluster (two edges, two routers, presence, nats-server
// with JetStream) gets --sessions receivers on edge-1, each with XEP-0198 resumption enabled, and
// --senders senders on edge-2 sending numbered messages to them at --rate. Then edge-1 is SIGKILLed.
// Every receiver sees its connection drop and resumes (TLS, SCRAM, <resume/>) on edge-2, at most
// --concurrency at a time, as phones would; the senders go on meanwhile. Printed: the time from the
// kill to the last <resumed/>, per-session p50/p99, sessions that could not resume, and every
// message sent, received, lost and received twice (counted per receiver by its number).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { XmppConnection, type ConnectOptions } from '../client/xmpp-connection.js';
import { attr, tagName } from '../client/splitter.js';
import { startGliderCluster } from '../targets/glider.js';
import { forEachLimited } from '../targets/support.js';

const HELP = `usage: npm run bench:failover -- [--sessions 1000] [--senders 10] [--rate 500] [--concurrency 100]
  [--before 3] (s of traffic before the kill) [--after 3] (s of traffic after the last resume)
  [--deadline 120] (s for every session to resume and every message to arrive) [--keep-dirs] [--json]`;

interface Receiver {
  i: number;
  conn: XmppConnection;
  /** How often each message number arrived. */
  got: Map<number, number>;
  sent: number;
  resumedMs?: number;
  failed?: string;
}

const { values: v } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    senders: { type: 'string', default: '10' },
    rate: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '100' },
    before: { type: 'string', default: '3' },
    after: { type: 'string', default: '3' },
    deadline: { type: 'string', default: '120' },
    'keep-dirs': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (v.help) {
  console.log(HELP);
  process.exit(0);
}
const N = Number(v.sessions);
const S = Number(v.senders);
const RATE = Number(v.rate);
const CONC = Number(v.concurrency);
const DEADLINE_MS = Number(v.deadline) * 1000;
const DOMAIN = 'localhost';
const PASSWORD = 'secret';
const log = (s: string): void => void (v.json || console.log(s));

const until = async (what: string, done: () => boolean, deadlineMs: number): Promise<boolean> => {
  const end = performance.now() + deadlineMs;
  while (!done()) {
    if (performance.now() > end) {
      log(`gave up waiting for ${what}`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
};

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'glider-bench-failover-'));
  const started = await startGliderCluster({
    dir,
    domain: DOMAIN,
    userPrefix: 'fo',
    password: PASSWORD,
    users: N + S,
    env: { GLIDER_EDGE__SM__ENABLED: 'true' },
  });
  if (!started.ok) throw new Error(`cluster did not start: ${started.reason}`);
  const t = started.target;
  const stopAll = async (): Promise<void> => {
    await t.stop();
    if (!v['keep-dirs']) rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const edge1 = t.processes.find((p) => p.name === 'edge-1');
    const port2 = t.altPorts?.[0];
    if (!edge1 || !port2) throw new Error(`no edge-1 or second edge (${t.processes.map((p) => p.name).join(', ')})`);
    const base = (port: number, i: number): ConnectOptions => ({
      host: t.host,
      port,
      domain: DOMAIN,
      username: `fo${i}`,
      password: PASSWORD,
      resource: 'r',
      sm: true,
      timeoutMs: 60_000,
    });
    const receivers: Receiver[] = new Array<Receiver>(N);
    const onElement = (r: Receiver) => (x: string) => {
      if (tagName(x) !== 'message') return;
      const n = Number(attr(x, 'id'));
      r.got.set(n, (r.got.get(n) ?? 0) + 1);
    };
    let t0 = 0;
    let resuming = 0;
    const queue: Receiver[] = [];
    const pump = (): void => {
      while (resuming < CONC && queue.length > 0) {
        const r = queue.shift()!;
        resuming++;
        void resumeOne(r).finally(() => {
          resuming--;
          pump();
        });
      }
    };
    const resumeOne = async (r: Receiver): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          r.conn = await XmppConnection.resume(base(port2, r.i), r.conn.smId, r.conn.handledCount, onElement(r));
          r.resumedMs = performance.now() - t0;
          return;
        } catch (err) {
          const msg = (err as Error).message;
          if (msg.startsWith('resume refused') || attempt >= 3) {
            r.failed = msg;
            return;
          }
        }
      }
    };
    let t1 = performance.now();
    await forEachLimited(N, CONC, async (i) => {
      const r: Receiver = { i, conn: undefined as unknown as XmppConnection, got: new Map(), sent: 0 };
      r.conn = (await XmppConnection.login(base(t.port, i))).conn;
      r.conn.onElement = onElement(r);
      r.conn.onClose = () => {
        if (t0 === 0 || r.resumedMs !== undefined) return;
        queue.push(r);
        pump();
      };
      receivers[i] = r;
    });
    log(`${N} receivers with stream management on edge-1 (port ${t.port}) in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const senders: XmppConnection[] = [];
    await forEachLimited(S, CONC, async (k) => void senders.push((await XmppConnection.login({ ...base(port2, N + k), sm: false })).conn));
    let sending = true;
    let next = 0;
    const tick = 20;
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
    const traffic = setInterval(() => {
      if (!sending) return;
      for (let m = 0; m < perTick; m++) {
        const r = receivers[next % N]!;
        const s = senders[next % S]!;
        next++;
        const n = ++r.sent;
        s.send(`<message to='fo${r.i}@${DOMAIN}/r' type='chat' id='${n}'><body>${n}</body></message>`);
      }
    }, tick);
    await new Promise((r) => setTimeout(r, Number(v.before) * 1000));
    const load = loadavg()[0]!;
    t0 = performance.now();
    process.kill(edge1.pid, 'SIGKILL');
    log(`edge-1 (pid ${edge1.pid}) SIGKILLed; load average ${load.toFixed(1)}`);
    await until('every session to resume', () => receivers.every((r) => r.resumedMs !== undefined || r.failed), DEADLINE_MS);
    const allResumedMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, Number(v.after) * 1000));
    sending = false;
    clearInterval(traffic);
    t1 = performance.now();
    const arrived = (): boolean => receivers.every((r) => r.failed || r.got.size >= r.sent);
    await until('every message to arrive', arrived, DEADLINE_MS);
    const times = receivers.flatMap((r) => (r.resumedMs === undefined ? [] : [r.resumedMs])).sort((a, b) => a - b);
    let sent = 0;
    let received = 0;
    let lost = 0;
    let dup = 0;
    for (const r of receivers) {
      sent += r.sent;
      for (let n = 1; n <= r.sent; n++) {
        const c = r.got.get(n) ?? 0;
        if (c === 0) lost++;
        else received++;
        if (c > 1) dup += c - 1;
      }
    }
    const failed = receivers.filter((r) => r.failed);
    const result = {
      bench: 'failover',
      sessions: N,
      resumed: times.length,
      failed: failed.length,
      all_resumed_ms: Math.round(times.length === N ? times[times.length - 1]! : allResumedMs),
      resume_p50_ms: Math.round(pct(times, 50)),
      resume_p99_ms: Math.round(pct(times, 99)),
      sent,
      received,
      lost,
      duplicates: dup,
      loadavg_1m: Number(load.toFixed(1)),
    };
    if (v.json) console.log(JSON.stringify(result));
    else {
      log(
        `\n${times.length} of ${N} sessions resumed on edge-2; the last ${result.all_resumed_ms} ms after the kill (p50 ${result.resume_p50_ms} ms, p99 ${result.resume_p99_ms} ms)`,
      );
      log(`messages: ${sent} sent, ${received} received, ${lost} lost, ${dup} received twice`);
      for (const f of failed.slice(0, 5)) log(`  fo${f.i} did not resume: ${f.failed}`);
      console.log(JSON.stringify(result));
    }
    await Promise.all([...receivers.map((r) => r.conn.close(500)), ...senders.map((s) => s.close(500))]);
  } finally {
    await stopAll();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
