// `npm run test:sint`: the Smack Integration Test Framework against `standalone` and the local
// cluster, each started afresh with in-band registration on (for this run only). SINT connects
// to port 5222 only, so the run happens in a private network namespace when it can (root and
// `ip`), else on this machine's loopback if 5222 is free. Exits non-zero when a test fails, SINT
// aborts, or an account it registered could not be removed again. See test/sint/README.md.
//   node dist/test/sint/run-sint.js [--target standalone|cluster|all] [--tests A,B] [--no-netns]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '#libs/testing';
import { startCluster } from '../harness/cluster.js';
import { startStandalone, type Deployment } from '../harness/standalone.js';
import { parseSintLog, type SintReport } from './sint-report.js';
import { SINT_VERSION, readClientRaces, readDisabled, runSint, trustStore } from './sint-java.js';

const C2S_PORT = 5222; // SINT 4.5.0-beta5 has no port setting
/**
 * Where the edge listens and SINT connects inside the namespace: not a loopback address, because
 * Smack offers its own SOCKS5 streamhost (XEP-0065 direct file transfer) on the address its XMPP
 * connection uses, and never a loopback one (RFC 2544 benchmark range, private to the namespace).
 */
const NETNS_ADDRESS = '198.18.0.1';
const SOCKS5_TEST = 'FileTransferIntegrationTest.fileTransferTest';
/** Smack's wait for one reply; generous, the machine may be busy. */
const REPLY_TIMEOUT_MS = Number(process.env.SINT_REPLY_TIMEOUT_MS ?? 10_000);
/** A whole SINT run (one target) is killed after this long. */
const RUN_TIMEOUT_MS = Number(process.env.SINT_RUN_TIMEOUT_MS ?? 20 * 60_000);
/** How many more times a test of client-races.txt runs after failing (SINT_RACE_RETRIES). */
const RACE_RETRIES = Number(process.env.SINT_RACE_RETRIES ?? 5);
/**
 * Whether the muc service runs (issue 12: SINT's MUC tests in CI): by default; SINT_MUC=0 leaves it
 * out. Three MUC tests can fail from races inside Smack itself; they are run again when they do
 * (test/sint/README.md, "Races inside Smack").
 */
const withMuc = (_target: string): boolean => process.env.SINT_MUC !== '0';
const MUC_PACKAGE = 'org.jivesoftware.smackx.muc.';

/**
 * What the server under test gets for this run only: in-band registration (SINT registers its
 * accounts and removes them with XEP-0077 <remove/>), and an authentication deadline longer than
 * the run, since SINT keeps one unauthenticated connection open for all its registrations.
 */
const RUN_ENV: Record<string, string> = {
  GLIDER_REGISTRATION__ENABLED: 'true',
  GLIDER_EDGE__LIMITS__AUTH_TIMEOUT_MS: String(RUN_TIMEOUT_MS + 60_000),
  GLIDER_LOG__LEVEL: process.env.SINT_GLIDER_LOG_LEVEL ?? 'info',
  // XEP-0198 is offered by default (Smack uses it on every connection, StreamManagementTest runs);
  // SINT_SM=0 runs without it, as clients without stream management see Glider.
  ...(process.env.SINT_SM === '0' ? { GLIDER_EDGE__SM__ENABLED: 'false' } : {}),
};

/** The muc service is off by default in Glider (apps/muc/README.md); SINT turns it on (withMuc). */
const mucEnv = (target: string): Record<string, string> => (withMuc(target) ? { GLIDER_MUC__ENABLED: 'true' } : {});

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'all' },
    tests: { type: 'string' },
    'no-netns': { type: 'boolean', default: false },
    'in-netns': { type: 'boolean', default: false },
  },
});

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Re-runs this script inside a new network namespace with loopback up; returns its exit code. */
async function inNamespace(): Promise<number> {
  const ns = `glider-sint-${process.pid}`;
  const ip = (...args: string[]) => spawnSync('ip', args, { encoding: 'utf8' });
  const add = ip('netns', 'add', ns);
  if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr.trim()}`);
  try {
    // loopback up, with one address that is not a loopback address (NETNS_ADDRESS)
    for (const cmd of [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', `${NETNS_ADDRESS}/32`, 'dev', 'lo'],
    ]) {
      const r = ip('netns', 'exec', ns, 'ip', ...cmd);
      if (r.status !== 0) throw new Error(`ip ${cmd.join(' ')} in ${ns}: ${r.stderr.trim()}`);
    }
    const args = [process.argv[1]!, ...process.argv.slice(2), '--in-netns'];
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--enable-source-maps', ...args], { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    return await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    ip('netns', 'del', ns);
  }
}

const canUseNetns = () => process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;

async function deploy(target: string, host: string): Promise<Deployment> {
  // media-relay with XEP-0363 (HttpFileUploadIntegrationTest), its HTTPS listener on a free port.
  const media = async () => ({ GLIDER_MEDIA__ENABLED: 'true', GLIDER_MEDIA__UPLOAD__PORT: String(await freePort()) });
  if (target === 'standalone')
    return startStandalone({ ...RUN_ENV, ...mucEnv(target), ...(await media()), GLIDER_EDGE__HOST: host, GLIDER_EDGE__C2S_PORT: String(C2S_PORT) });
  // edge 1 takes 5222 (SINT's); edge 2 runs beside it, on free ports
  return startCluster({
    host,
    env: { ...RUN_ENV, ...mucEnv(target) },
    mediaRelays: 1,
    mediaEnv: media,
    mucs: withMuc(target) ? 1 : 0,
    logLevel: RUN_ENV.GLIDER_LOG__LEVEL,
    edgePorts: [{ c2sPort: C2S_PORT, directTlsPort: 5223, wssPort: 5443, wsPort: 5280 }],
  });
}

async function runTarget(target: string): Promise<{ report: SintReport; seconds: number; log: string; servers: string[] }> {
  const started = Date.now();
  const host = values['in-netns'] ? NETNS_ADDRESS : '127.0.0.1';
  const d = await deploy(target, host);
  const dir = mkdtempSync(join(tmpdir(), `glider-sint-${target}-`));
  try {
    const disabled = readDisabled();
    if (!values['in-netns']) {
      // on loopback Smack has no address to offer as its own SOCKS5 streamhost (see NETNS_ADDRESS)
      disabled.tests.push(SOCKS5_TEST);
      process.stdout.write(`test:sint: no network namespace, so ${SOCKS5_TEST} is left out\n`);
    }
    const store = trustStore(d.certPem(), dir);
    const sint = (logFile: string, enabledTests?: string) =>
      runSint({
        domain: d.domain,
        host,
        trustStore: store,
        disabled,
        logFile,
        replyTimeoutMs: REPLY_TIMEOUT_MS,
        runTimeoutMs: RUN_TIMEOUT_MS,
        extra: {
          ...(enabledTests ? { enabledTests } : values.tests ? { enabledTests: values.tests } : {}),
          // SINT_PROPS='k=v;k=v': any other sinttest.* property, e.g. to try a disabled connection
          ...Object.fromEntries(
            (process.env.SINT_PROPS ?? '')
              .split(';')
              .filter(Boolean)
              .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
          ),
        },
      });
    const logFile = join(dir, 'sint.log');
    const run = await sint(logFile);
    const report = parseSintLog(run.log);
    // With the muc service running a MUC class SINT skips is a regression, not a missing feature.
    if (withMuc(target)) {
      for (const c of report.impossibleClasses.filter((c) => c.test.startsWith(MUC_PACKAGE)))
        report.problems.push(`${c.test} impossible though the muc service runs: ${c.reason}`);
    }
    if (run.timedOut) report.problems.push(`SINT was killed after ${RUN_TIMEOUT_MS / 1000} s (SINT_RUN_TIMEOUT_MS)`);
    else if (run.code !== 0 && report.failed.length === 0) report.problems.push(`SINT exited with ${run.code}`);
    // Failures that can come from a race inside Smack (test/sint/client-races.txt), and nothing
    // else: those tests run again, alone, against the same deployment, up to RACE_RETRIES times.
    const races = readClientRaces();
    const testOf = (failed: string) => failed.replace(/ \([^)]*\)$/, '');
    const retried = new Map<string, { attempts: number; passed: boolean }>();
    for (let round = 1; round <= RACE_RETRIES; round++) {
      const again = [...new Set(report.failed.map(testOf))];
      if (again.length === 0 || report.problems.length > 0 || !again.every((t) => races.has(t))) break;
      process.stdout.write(
        `test:sint: ${target}: ${again.join(', ')} failed; races inside Smack (test/sint/client-races.txt), run again (${round}/${RACE_RETRIES})\n`,
      );
      const retryLog = join(dir, `sint-retry-${round}.log`);
      const next = parseSintLog((await sint(retryLog, again.join(','))).log);
      for (const t of again) retried.set(t, { attempts: round + 1, passed: !next.failed.some((f) => testOf(f) === t) });
      report.failed = next.failed;
      report.passed += next.passed;
      report.problems.push(...next.problems.map((p) => `run ${round + 1} (${retryLog}): ${p}`));
    }
    if (retried.size > 0) report.retried = [...retried].map(([test, r]) => ({ test, reason: races.get(test)!, ...r }));
    return { report, seconds: Math.round((Date.now() - started) / 1000), log: logFile, servers: d.processes.map((p) => p.logFile) };
  } finally {
    await d.stop();
  }
}

function print(target: string, r: SintReport, seconds: number, log: string, servers: string[]): void {
  const disabled = r.disabled ? `${r.disabled.classes} classes and ${r.disabled.tests} tests disabled (test/sint/disabled.txt)` : 'disabled: unknown';
  const out = [
    `== SINT ${SINT_VERSION} against ${target}: ${r.passed} passed, ${r.failed.length} failed, ${r.impossible.length} impossible tests, ` +
      `${r.impossibleClasses.length} impossible classes, ${disabled} (${seconds} s; log ${log})`,
  ];
  out.push(`   server logs: ${servers.join(' ')}`);
  for (const t of r.failed) out.push(`   FAILED     ${t}`);
  for (const t of r.retried ?? [])
    out.push(`   RETRIED    ${t.test}: ${t.passed ? 'passed' : 'failed'} in ${t.attempts} runs (a race inside Smack: test/sint/client-races.txt)`);
  for (const t of r.impossibleClasses) out.push(`   impossible ${t.test}: ${t.reason}`);
  for (const t of r.impossible) out.push(`   impossible ${t.test}: ${t.reason}`);
  for (const p of r.problems) out.push(`   PROBLEM    ${p}`);
  process.stdout.write(out.join('\n') + '\n');
}

async function main(): Promise<number> {
  if (!values['in-netns'] && !values['no-netns'] && canUseNetns()) return inNamespace();
  if (!(await portFree(C2S_PORT))) {
    process.stderr.write(`test:sint: port ${C2S_PORT} is busy here and no network namespace can be made (needs root and iproute2); free it or run as root\n`);
    return 1;
  }
  const targets = values.target === 'all' ? ['standalone', 'cluster'] : [values.target];
  const started = Date.now();
  let bad = 0;
  for (const target of targets) {
    const { report, seconds, log, servers } = await runTarget(target);
    print(target, report, seconds, log, servers);
    if (report.failed.length > 0 || report.problems.length > 0) bad++;
  }
  process.stdout.write(
    `== SINT done in ${Math.round((Date.now() - started) / 1000)} s: ${bad === 0 ? 'all possible tests passed' : `${bad} target(s) failed`}\n`,
  );
  return bad === 0 ? 0 : 1;
}

process.exit(await main());
