// `npm run cluster` as a newcomer uses it: it prints every port and where its data is, keeps the
// data across runs, and Ctrl-C (SIGINT to the terminal's whole process group) stops it in order.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createServer, type Server } from 'node:net';
import { freePort, waitFor } from '#libs/testing';
import { isReady } from './harness/glider-process.js';
import { addUser, gliderctl, registerAdminToken } from './harness/gliderctl.js';
import { repoRoot } from './harness/paths.js';

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const groups: number[] = [];
after(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** `npm run cluster` in its own process group, as a terminal runs a foreground command. */
function runCluster(dataDir: string, basePort = 0): Run {
  const child = spawn('npm', ['run', 'cluster', '--silent', '--', '--base-port', String(basePort), '--data-dir', dataDir], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.push(child.pid!);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function up(run: Run): Promise<{ adminPort: number; healthPorts: Record<string, number> }> {
  let ended = false;
  void run.exited.then(() => (ended = true));
  await waitFor(
    () => {
      if (ended) throw new Error(`npm run cluster exited:\n${run.output()}`);
      return run.output().includes('Ctrl-C stops everything');
    },
    { timeoutMs: 150_000, intervalMs: 100, what: 'npm run cluster to print its ports' },
  );
  const out = run.output();
  const healthPorts: Record<string, number> = {};
  for (const m of out.matchAll(/^ {2}(\S+)\s.*health\/metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/gm)) healthPorts[m[1]!] = Number(m[2]);
  return { adminPort: Number(/admin gRPC 127\.0\.0\.1:(\d+)/.exec(out)?.[1]), healthPorts };
}

/** The stop report lines in order: `stopped <name> (<phase>, exit ...)`. */
function stopSteps(output: string): { name: string; phase: string; already: boolean }[] {
  return [...output.matchAll(/^ {2}stopped (\S+) \((\w+), exit [^,)]+(, had already exited)?\)$/gm)].map((m) => ({
    name: m[1]!,
    phase: m[2]!,
    already: m[3] !== undefined,
  }));
}

function assertOrderedStop(output: string): void {
  const steps = stopSteps(output);
  assert.deepEqual(steps.map((s) => s.name).sort(), ['edge-1', 'edge-2', 'nats-server', 'presence-1', 'router-1', 'router-2'], output);
  assert.deepEqual(
    steps.filter((s) => s.already),
    [],
    'every process was still up when its turn came',
  );
  const phases = steps.map((s) => s.phase);
  assert.deepEqual(
    phases,
    [...phases].sort((a, b) => ['edges', 'services', 'nats'].indexOf(a) - ['edges', 'services', 'nats'].indexOf(b)),
    'edges, then services, then nats',
  );
  assert.match(output, /^stopped in \d+\.\d s$/m);
}

describe('npm run cluster', { timeout: 600_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'glider-cluster-cli-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  let certFirstRun = '';

  it('prints every port and path; Ctrl-C stops edges, then routers and presence, then nats-server', async () => {
    const run = runCluster(dataDir);
    const { adminPort, healthPorts } = await up(run);
    // The printed hint names the admin token file the routers made in the data directory.
    assert.match(run.output(), new RegExp(`--token-file ${join(dataDir, 'admin-token').replaceAll('.', '\\.')} user add`));
    registerAdminToken(adminPort, dataDir);
    assert.deepEqual(Object.keys(healthPorts).sort(), ['edge-1', 'edge-2', 'presence-1', 'router-1', 'router-2'], run.output());
    for (const [name, port] of Object.entries(healthPorts)) assert.equal(await isReady(port), true, `${name} ready on its printed port ${port}`);
    assert.match(run.output(), /nats-server nats:\/\/127\.0\.0\.1:\d+/);
    const cert = join(dataDir, 'tls', 'self-signed.crt');
    assert.match(run.output(), new RegExp(`^  certificate +${cert.replaceAll('.', '\\.')} `, 'm'));
    assert.ok(run.output().includes(join(dataDir, 'glider.db')));
    certFirstRun = readFileSync(cert, 'utf8');
    await addUser('alice@localhost', 'alice-password', adminPort);

    process.kill(-run.child.pid!, 'SIGINT'); // what a terminal does on Ctrl-C
    assert.equal(await run.exited, 0, run.output());
    assertOrderedStop(run.output());
    for (const [name, port] of Object.entries(healthPorts)) assert.equal(await isReady(port), false, `${name} stopped`);
    const logs = readdirSync(join(dataDir, 'logs')).map((f) => readFileSync(join(dataDir, 'logs', f), 'utf8'));
    assert.equal(logs.length, 5);
    for (const log of logs) assert.doesNotMatch(log, /TimeoutError|CONNECTION_REFUSED|"level":50/, 'no service lost the bus while stopping');
  });

  it('keeps its data across runs, and stops on a SIGTERM to npm alone', async () => {
    assert.ok(certFirstRun, 'the first run ran');
    const run = runCluster(dataDir);
    const { adminPort } = await up(run);
    registerAdminToken(adminPort, dataDir);
    const users = await gliderctl(['user', 'list', 'localhost'], { adminPort });
    assert.match(users.stdout, /alice@localhost/, 'the account made in the first run');
    assert.equal(readFileSync(join(dataDir, 'tls', 'self-signed.crt'), 'utf8'), certFirstRun, 'the same certificate');
    process.kill(run.child.pid!, 'SIGTERM');
    assert.equal(await run.exited, 0, run.output());
    assertOrderedStop(run.output());
    assert.ok(existsSync(join(dataDir, 'glider.db')));
  });

  it('on a taken port: names it and the option that moves it, before starting anything', async () => {
    // A port --base-port accepts (1024-55000), held as another server would hold it.
    const hold = (port: number): Promise<Server | undefined> =>
      new Promise((resolve) => {
        const srv = createServer();
        srv.once('error', () => resolve(undefined));
        srv.listen(port, '127.0.0.1', () => resolve(srv));
      });
    // From freePort: a port no other test file side by side was given (or will be, while held).
    let port = 0;
    let holder: Server | undefined;
    for (let i = 0; i < 50 && !holder; i++) if ((port = await freePort()) <= 55000) holder = await hold(port);
    assert.ok(holder, 'a port to hold');
    const fresh = join(dataDir, 'not-created');
    try {
      const run = runCluster(fresh, port);
      assert.equal(await run.exited, 2, run.output());
      assert.match(run.output(), new RegExp(`port .*${port} \\(edge-1 c2s\\).* already in use`));
      assert.match(run.output(), /--base-port/);
      assert.equal(existsSync(fresh), false, 'nothing written');
      assert.doesNotMatch(run.output(), /nats-server|Glider cluster up/);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});
