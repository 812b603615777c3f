import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/paths.js';

export const SINT_VERSION = process.env.SINT_VERSION ?? '4.5.0-beta5';
const LIB = join(repoRoot, '.ci', '.tools', `sint-${SINT_VERSION}`, 'lib');
const MAIN = 'org.igniterealtime.smack.inttest.SmackIntegrationTestFramework';
const STORE_PASSWORD = 'glider-sint';

export interface DisabledList {
  tests: string[];
  connections: string[];
}

/** A list file of `entry # why` lines ('#' lines and blank lines skipped); a line without a reason is refused. */
function readReasoned(file: string): { entry: string; reason: string }[] {
  const out: { entry: string; reason: string }[] = [];
  for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.indexOf('#');
    const entry = cut < 0 ? line : line.slice(0, cut).trim();
    const reason = cut < 0 ? '' : line.slice(cut + 1).trim();
    if (!entry || !reason) throw new Error(`${file}:${i + 1}: "${line}" needs a "# reason"`);
    out.push({ entry, reason });
  }
  return out;
}

/**
 * test/sint/disabled.txt: one entry a line, `Class[.method]` for a test or `connection:<nickname>`
 * for a SINT connection kind, each followed by `# why`.
 */
export function readDisabled(file = join(repoRoot, 'test', 'sint', 'disabled.txt')): DisabledList {
  const out: DisabledList = { tests: [], connections: [] };
  for (const { entry } of readReasoned(file)) {
    if (entry.startsWith('connection:')) out.connections.push(entry.slice('connection:'.length));
    else out.tests.push(entry);
  }
  return out;
}

/**
 * test/sint/client-races.txt: `Class.method # why`, tests whose failure can come from a race inside
 * Smack itself (shown from SINT's log and Smack's code, never assumed). Such a failure, when nothing
 * else failed, is run once more; a second failure fails the run.
 */
export function readClientRaces(file = join(repoRoot, 'test', 'sint', 'client-races.txt')): Map<string, string> {
  return new Map(readReasoned(file).map(({ entry, reason }) => [entry, reason]));
}

/** A PKCS#12 trust store holding the server's certificate, as a user imports a self-signed one. */
export function trustStore(certPem: string, dir: string): string {
  const pem = join(dir, 'server.crt');
  const store = join(dir, 'sint-truststore.p12');
  writeFileSync(pem, certPem);
  const r = spawnSync(
    'keytool',
    ['-importcert', '-noprompt', '-alias', 'glider', '-file', pem, '-keystore', store, '-storetype', 'PKCS12', '-storepass', STORE_PASSWORD],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`keytool failed: ${r.stderr || r.error?.message}`);
  return store;
}

export interface SintRunOptions {
  domain: string;
  host: string;
  trustStore: string;
  disabled: DisabledList;
  logFile: string;
  /** Smack's wait for each reply (sinttest.replyTimeout). */
  replyTimeoutMs: number;
  /** The whole run is killed after this long. */
  runTimeoutMs: number;
  /** Extra sinttest.* properties (e.g. enabledTests to run a few). */
  extra?: Record<string, string>;
}

/** Runs SINT once (it connects to `host` port 5222 only); resolves with its log text and exit code. */
export async function runSint(o: SintRunOptions): Promise<{ code: number | null; timedOut: boolean; log: string }> {
  if (!existsSync(join(LIB, `smack-integration-test-${SINT_VERSION}.jar`))) {
    throw new Error(`SINT ${SINT_VERSION} is not installed in ${LIB}: run scripts/ci/install-sint.sh`);
  }
  const props: Record<string, string> = {
    service: o.domain,
    host: o.host,
    securityMode: 'required',
    replyTimeout: String(o.replyTimeoutMs),
    debugger: process.env.SINT_DEBUGGER ?? 'none', // 'console' logs every stanza
    ...(o.disabled.tests.length ? { disabledTests: o.disabled.tests.join(',') } : {}),
    ...(o.disabled.connections.length ? { disabledConnections: o.disabled.connections.join(',') } : {}),
    ...o.extra,
  };
  const args = [
    `-Djavax.net.ssl.trustStore=${o.trustStore}`,
    `-Djavax.net.ssl.trustStorePassword=${STORE_PASSWORD}`,
    '-Djavax.net.ssl.trustStoreType=PKCS12',
    '-Dfile.encoding=UTF-8',
    ...(process.env.SINT_JAVA_OPTS ?? '').split(/\s+/).filter(Boolean), // e.g. -Djdk.tls.client.protocols=TLSv1.2
    ...Object.entries(props).map(([k, v]) => `-Dsinttest.${k}=${v}`),
    '-cp',
    `${LIB}/*`,
    MAIN,
  ];
  const log = createWriteStream(o.logFile);
  const child = spawn('java', args, { cwd: join(o.logFile, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let timedOut = false;
  // SINT can hang after an abort (non-daemon threads): the run is bounded.
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, o.runTimeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  await new Promise<void>((resolve) => log.end(resolve));
  return { code, timedOut, log: readFileSync(o.logFile, 'utf8') };
}
