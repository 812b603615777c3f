import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { createServer } from 'node:net';
import { CLAIMS_DIR, claimPort, ephemeralRange, freePort } from './free-port.js';
import { tempDir } from './temp-dir.js';

test('freePort never hands the same port out twice in one process', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 300; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  // above 10080, the highest port fetch() refuses (the Fetch standard's "bad ports")
  assert.ok(ports.every((p) => p > 10_080 && p < 65536));
});

test('freePort never hands out a port of the ephemeral range, where outgoing connections take theirs', async () => {
  const [low, high] = ephemeralRange();
  assert.ok(low > 1024 && high >= low && high < 65536, `read ${low}–${high}`);
  for (let i = 0; i < 300; i++) {
    const port = await freePort();
    assert.ok(port < low || port > high, `${port} is in ${low}–${high}`);
  }
});

test('a server can listen on what freePort hands out', async () => {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});

/** Another test process (scripts/test.mjs runs e2e files side by side) that claims `port` and stays. */
async function otherProcessClaiming(port: number, dir: string) {
  const code = `import { claimPort } from ${JSON.stringify(new URL('./free-port.js', import.meta.url).href)};
    console.log(claimPort(${port}, ${JSON.stringify(dir)})); process.stdin.resume();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const stop = async (): Promise<void> => {
    child.kill('SIGKILL');
    await once(child, 'exit');
  };
  return { claimed: line, stop };
}

test('a port claimed by another living test process is not handed out; once that process died, it is', async () => {
  const claims = tempDir('glider-port-claims-');
  try {
    const holder = await otherProcessClaiming(40_000, claims.path);
    assert.equal(holder.claimed, 'true');
    assert.equal(claimPort(40_000, claims.path), false, 'held by a living process');
    assert.equal(claimPort(40_001, claims.path), true, 'another port is free');
    await holder.stop(); // SIGKILL: it never released its claim
    assert.equal(claimPort(40_000, claims.path), true, 'its holder is gone');
    const late = await otherProcessClaiming(40_000, claims.path);
    assert.equal(late.claimed, 'false', 'now this process holds it');
    await late.stop();
  } finally {
    claims.remove();
  }
});

test('freePort claims what it hands out: another process cannot claim it', async () => {
  const port = await freePort();
  const other = await otherProcessClaiming(port, CLAIMS_DIR);
  await other.stop();
  assert.equal(other.claimed, 'false');
});
