// `npm run bench:upload`: XEP-0363 HTTP upload and download throughput of Glider standalone with
// N concurrent transfers (docs/performance.md, "HTTP upload"). Each of N users asks upload.<domain>
// for a slot over XMPP, then all PUT at once; then all GET at once; bytes checked by SHA-256.
// Bounded: `rounds` rounds, every request with a timeout.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { XmppConnection } from '../client/xmpp-connection.js';
import { attr } from '../client/splitter.js';
import { treeCpuUs } from '../load/process-stats.js';
import { median } from '../stats/median.js';
import { freePort } from '../targets/support.js';
import { startGliderStandalone } from '../targets/glider.js';

const { values } = parseArgs({
  options: {
    transfers: { type: 'string', default: '20' },
    mib: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '4' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('npm run bench:upload -- [--transfers 20] [--mib 8] [--rounds 4]   (round 1 warms up: JIT, first TLS handshakes)');
  process.exit(0);
}
const positive = (s: string, what: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${what} must be a positive integer, got "${s}"`);
  return n;
};
const transfers = positive(values.transfers, 'transfers');
const size = positive(values.mib, 'mib') * 1024 * 1024;
const rounds = positive(values.rounds, 'rounds');
const TIMEOUT_MS = 120_000;
const UPLOAD_NS = 'urn:xmpp:http:upload:0';
const domain = 'bench.example';
const password = 'bench-password-1';

const dir = mkdtempSync(join(tmpdir(), 'glider-bench-upload-'));
const uploadPort = await freePort();
const started = await startGliderStandalone({
  dir,
  domain,
  userPrefix: 'up',
  password,
  users: transfers,
  env: {
    GLIDER_MEDIA__ENABLED: 'true',
    GLIDER_MEDIA__PUBLIC_HOST: '127.0.0.1',
    GLIDER_MEDIA__UPLOAD__HOST: '127.0.0.1',
    GLIDER_MEDIA__UPLOAD__PORT: String(uploadPort),
    GLIDER_MEDIA__UPLOAD__MAX_FILE_BYTES: String(size),
    GLIDER_MEDIA__UPLOAD__QUOTA_BYTES_PER_USER: String(size * (rounds + 1)),
    GLIDER_MEDIA__TURN__ENABLED: 'false',
  },
});
if (!started.ok) {
  console.error(`Glider did not start: ${started.reason}`);
  process.exit(1);
}
const target = started.target;
const pid = target.processes[0]!.pid;
// The bench's certificate is for bench.example; the URLs name 127.0.0.1: TLS runs, unverified.
const agent = new Agent({ keepAlive: false, rejectUnauthorized: false, maxSockets: transfers * 2 });

function http(method: 'PUT' | 'GET', url: string, body?: Buffer): Promise<{ status: number; sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, agent, timeout: TIMEOUT_MS, headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {} },
      (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (d: Buffer) => (hash.update(d), (bytes += d.length)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest('hex'), bytes }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** One slot (XEP-0363 §4) over the user's XMPP connection. */
function slot(conn: XmppConnection, i: number, round: number): Promise<{ put: string; get: string }> {
  const id = `slot-${round}-${i}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no slot answer for ${id}`)), 15_000);
    conn.onElement = (x) => {
      if (attr(x, 'id') !== id) return;
      clearTimeout(timer);
      const put = /<put [^>]*url=['"]([^'"]+)['"]/.exec(x)?.[1];
      const get = /<get [^>]*url=['"]([^'"]+)['"]/.exec(x)?.[1];
      if (!put || !get) reject(new Error(`slot refused: ${x}`));
      else resolve({ put: put.replace(/&amp;/g, '&'), get: get.replace(/&amp;/g, '&') });
    };
    conn.send(
      `<iq type='get' id='${id}' to='upload.${domain}'><request xmlns='${UPLOAD_NS}' filename='file-${i}.bin' size='${size}' content-type='application/octet-stream'/></iq>`,
    );
  });
}

const rows: Array<{ round: number; putMBs: number; getMBs: number; putCpuMsPerMB: number; getCpuMsPerMB: number }> = [];
const conns: XmppConnection[] = [];
try {
  for (let i = 0; i < transfers; i++) {
    const { conn } = await XmppConnection.login({
      host: target.host,
      port: target.port,
      domain,
      username: `up${i}`,
      password,
      resource: 'bench',
      timeoutMs: 15_000,
    });
    conns.push(conn);
  }
  const files = Array.from({ length: transfers }, () => randomBytes(size));
  const sums = files.map((f) => createHash('sha256').update(f).digest('hex'));
  const mb = (transfers * size) / 1e6;
  for (let round = 1; round <= rounds; round++) {
    const slots = await Promise.all(conns.map((c, i) => slot(c, i, round)));
    let cpu = treeCpuUs(pid);
    let t = performance.now();
    const puts = await Promise.all(slots.map((s, i) => http('PUT', s.put, files[i])));
    const putS = (performance.now() - t) / 1000;
    const putCpu = treeCpuUs(pid) - cpu;
    if (puts.some((p) => p.status !== 201)) throw new Error(`PUT answered ${puts.map((p) => p.status).join(',')}`);
    cpu = treeCpuUs(pid);
    t = performance.now();
    const gets = await Promise.all(slots.map((s) => http('GET', s.get)));
    const getS = (performance.now() - t) / 1000;
    const getCpu = treeCpuUs(pid) - cpu;
    gets.forEach((g, i) => {
      if (g.status !== 200 || g.sha256 !== sums[i])
        throw new Error(`GET ${i}: status ${g.status}, ${g.bytes} bytes, checksum ${g.sha256 === sums[i] ? 'ok' : 'WRONG'}`);
    });
    rows.push({ round, putMBs: mb / putS, getMBs: mb / getS, putCpuMsPerMB: putCpu / 1000 / mb, getCpuMsPerMB: getCpu / 1000 / mb });
    console.log(JSON.stringify({ bench: 'upload', round, transfers, bytesEach: size, ...rows.at(-1) }));
  }
} finally {
  for (const c of conns) await c.close().catch(() => undefined);
  await target.stop();
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
}
const f = (n: number, d = 1) => n.toFixed(d);
console.log(`\n| round | upload MB/s (${transfers} × ${size / 1048576} MiB at once) | download MB/s | server CPU ms per MB up / down |`);
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.round} | ${f(r.putMBs)} | ${f(r.getMBs)} | ${f(r.putCpuMsPerMB, 2)} / ${f(r.getCpuMsPerMB, 2)} |`);
const warm = rows.length > 1 ? rows.slice(1) : rows;
console.log(
  `\nmedian of rounds ${warm[0]!.round}-${rows.at(-1)!.round}: upload ${f(median(warm.map((r) => r.putMBs)))} MB/s, download ${f(median(warm.map((r) => r.getMBs)))} MB/s, ` +
    `CPU ${f(median(warm.map((r) => r.putCpuMsPerMB)), 2)} / ${f(median(warm.map((r) => r.getCpuMsPerMB)), 2)} ms per MB`,
);
