import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EmbeddedStorage } from './embedded-storage.js';

const MODULE = fileURLToPath(new URL('./embedded-storage.js', import.meta.url));
const CHILD_TIMEOUT_MS = 30_000;

// Child programs: each opens its own connection to the same file, as a second process would.
const WRITE_THEN_WAIT = `
const { EmbeddedStorage } = await import(process.env.TEST_MODULE);
const s = new EmbeddedStorage({ dataDir: process.env.TEST_DIR });
await s.open();
await s.accounts.create({ username: 'crash', domain: 'localhost', createdAt: new Date(7), disabled: false,
  scram: { 'SHA-1': { salt: 'AA==', iterations: 1, storedKey: 'AA==', serverKey: 'AA==' },
           'SHA-256': { salt: 'AQ==', iterations: 1, storedKey: 'AQ==', serverKey: 'AQ==' } } });
await s.rosters.modify('crash@localhost', 'a@localhost', () => ({ jid: 'a@localhost', subscription: 'both', askOut: false, askIn: false, approved: false, groups: [] }));
await s.offline.push('crash@localhost', '<message/>', 10);
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;
const INCREMENT = `
const { EmbeddedStorage } = await import(process.env.TEST_MODULE);
const s = new EmbeddedStorage({ dataDir: process.env.TEST_DIR });
await s.open();
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
const tag = process.env.TEST_TAG;
await Promise.all(Array.from({ length: 25 }, (_, i) => s.rosters.modify('race@localhost', 'same@localhost', (cur) => ({
  ...(cur ?? { jid: 'same@localhost', subscription: 'none', askOut: false, askIn: false, approved: false, groups: [] }),
  groups: [...(cur?.groups ?? []), tag + i],
}))));
await s.close();
`;

function child(program: string, dir: string, tag = ''): { proc: ChildProcess; ready: Promise<void>; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', program], {
    env: { ...process.env, TEST_MODULE: MODULE, TEST_DIR: dir, TEST_TAG: tag },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const exit = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    void exit.then((code) => reject(new Error(`child exited (${code}) before it was ready`)));
  });
  return { proc, ready, exit };
}

describe('embedded storage across processes', () => {
  const dirs: string[] = [];
  const procs: ChildProcess[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'glider-embedded-proc-'));
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every committed write when the writing process is killed', async () => {
    const dir = tempDir();
    const c = child(WRITE_THEN_WAIT, dir);
    procs.push(c.proc);
    await c.ready;
    c.proc.kill('SIGKILL');
    await c.exit;
    const s = new EmbeddedStorage({ dataDir: dir });
    await s.open();
    try {
      assert.equal((await s.accounts.get('crash', 'localhost'))?.createdAt.getTime(), 7);
      assert.equal((await s.rosters.get('crash@localhost')).version, 1);
      assert.equal(await s.offline.count('crash@localhost'), 1);
    } finally {
      await s.close();
    }
  });

  it('serialises read-modify-writes of two processes on one roster item', async () => {
    const dir = tempDir();
    const a = child(INCREMENT, dir, 'a');
    const b = child(INCREMENT, dir, 'b');
    procs.push(a.proc, b.proc);
    await Promise.all([a.ready, b.ready]);
    a.proc.stdin!.end('go\n');
    b.proc.stdin!.end('go\n');
    assert.deepEqual(await Promise.all([a.exit, b.exit]), [0, 0]);
    const s = new EmbeddedStorage({ dataDir: dir });
    await s.open();
    try {
      const item = await s.rosters.getItem('race@localhost', 'same@localhost');
      assert.equal(item?.groups.length, 50);
      assert.equal(new Set(item?.groups).size, 50);
      assert.equal((await s.rosters.get('race@localhost')).version, 50);
      assert.equal((await s.rosters.changesSince('race@localhost', 0))?.length, 1);
    } finally {
      await s.close();
    }
  });
});
