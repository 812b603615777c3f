import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { configSchema } from '#libs/config';
import { generateSelfSigned, loadOrCreateCertificate, serverEndPointBinding, watchCertificate } from './index.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'glider-tls-'));
  dirs.push(d);
  return d;
}

test('generates a self-signed certificate once, then reuses it', async () => {
  const dataDir = await tempDir();
  const config = configSchema.parse({ domains: ['example.com', 'chat.example.org'], dataDir });
  const messages: string[] = [];
  const logger = { info: (_: object, m: string) => messages.push(m), warn: (_: object, m: string) => messages.push(m) };
  const first = await loadOrCreateCertificate(config, logger);
  assert.equal(first.source, 'self-signed');
  assert.match(messages[0]!, /^generated a self-signed certificate for example.com, chat.example.org/);
  const x = new X509Certificate(first.cert);
  for (const name of ['DNS:example.com', 'DNS:*.example.com', 'DNS:chat.example.org', 'DNS:localhost', 'IP Address:127.0.0.1']) {
    assert.ok(x.subjectAltName?.includes(name), `${name} in ${x.subjectAltName}`);
  }
  assert.equal(x.checkHost('example.com'), 'example.com');
  const second = await loadOrCreateCertificate(config, logger);
  assert.equal(second.cert, first.cert);
  assert.match(messages[1]!, /^reusing/);
});

test('tls-server-end-point hashes the DER with SHA-256 for an ECDSA-SHA256 certificate', async () => {
  const { cert } = await generateSelfSigned(['example.com']);
  const der = new X509Certificate(cert).raw;
  const { createHash } = await import('node:crypto');
  assert.deepEqual(serverEndPointBinding(der), createHash('sha256').update(der).digest());
});

test('watchCertificate sees a Kubernetes-style ..data symlink swap', async () => {
  const dir = await tempDir();
  const a = await generateSelfSigned(['a.example']);
  const b = await generateSelfSigned(['b.example']);
  await mkdir(join(dir, 'v1'));
  await writeFile(join(dir, 'v1', 'tls.crt'), a.cert);
  await writeFile(join(dir, 'v1', 'tls.key'), a.key);
  await symlink('v1', join(dir, '..data'));
  await symlink('..data/tls.crt', join(dir, 'tls.crt'));
  await symlink('..data/tls.key', join(dir, 'tls.key'));
  const changes: string[] = [];
  let resolveChange!: () => void;
  const changed = new Promise<void>((r) => (resolveChange = r));
  const w = watchCertificate(
    { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
    (pair) => {
      changes.push(pair.cert);
      resolveChange();
    },
    { debounceMs: 20, pollMs: 200 },
  );
  try {
    await w.check(); // baseline read
    await mkdir(join(dir, 'v2'));
    await writeFile(join(dir, 'v2', 'tls.crt'), b.cert);
    await writeFile(join(dir, 'v2', 'tls.key'), b.key);
    await symlink('v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await changed;
    assert.deepEqual(changes, [b.cert]);
  } finally {
    w.stop();
  }
});
