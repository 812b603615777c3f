import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CONFIG, loadConfig } from '#libs/config';
import { EmbeddedStorage, STORAGE } from '#libs/storage';
import { LOGGER } from '#libs/telemetry';
import { freePort, tempDir, waitFor, type TempDir } from '#libs/testing';
import { generateSelfSigned } from '#libs/tls';
import { Global, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { pino } from 'pino';
import { adminMicroserviceOptions } from './admin-microservice.options.js';
import { AdminModule } from './admin.module.js';

const gliderctl = join(fileURLToPath(new URL('../../../../', import.meta.url)), 'dist', 'apps', 'gliderctl', 'src', 'main.js');

function ctl(args: string[], stdin = ''): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GLIDER_')));
    const child = spawn(process.execPath, [gliderctl, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    child.stdin.end(stdin);
  });
}

/** admin.tls: the admin API over TLS (for the pod network), still with the token. */
describe('admin API over TLS', () => {
  let dir: TempDir;
  let storage: EmbeddedStorage;
  let app: INestMicroservice;
  let server: string;
  let certFile: string;
  before(async () => {
    dir = tempDir('glider-admin-tls-');
    const pair = await generateSelfSigned(['localhost']);
    certFile = join(dir.path, 'tls.crt');
    writeFileSync(certFile, pair.cert);
    writeFileSync(join(dir.path, 'tls.key'), pair.key);
    const port = await freePort();
    const config = loadConfig({
      env: {},
      overrides: {
        domains: ['localhost'],
        dataDir: dir.path,
        tls: { certFile, keyFile: join(dir.path, 'tls.key') },
        admin: { host: '127.0.0.1', grpcPort: port, tls: true },
      },
    });
    storage = new EmbeddedStorage({ dataDir: dir.path });
    await storage.open();
    @Global()
    @Module({
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: STORAGE, useValue: storage },
        { provide: LOGGER, useValue: pino({ level: 'silent' }) },
      ],
      exports: [CONFIG, STORAGE, LOGGER],
    })
    class TestCoreModule {}
    @Module({ imports: [TestCoreModule, AdminModule] })
    class TestAppModule {}
    app = await NestFactory.createMicroservice(TestAppModule, { ...adminMicroserviceOptions(config), logger: false });
    await app.listen();
    server = `localhost:${port}`;
  });
  after(async () => {
    await app?.close();
    await storage?.close();
    dir?.remove();
  });

  it('gliderctl --tls --ca works; a plaintext client does not get through', async () => {
    const token = join(dir.path, 'admin-token');
    const ok = await ctl(['--server', server, '--token-file', token, '--tls', '--ca', certFile, 'user', 'add', 'tess@localhost'], 'pw-pw-pw\n');
    assert.equal(ok.code, 0, ok.out);
    const plain = await ctl(['--server', server, '--token-file', token, '--timeout', '3000', 'stats']);
    assert.equal(plain.code, 1, plain.out);
    assert.doesNotMatch(plain.out, /storage: ok/);
  });

  it('a renewed certificate (files swapped, as the kubelet does with a Secret) is served without a restart', async () => {
    const token = join(dir.path, 'admin-token');
    const renewed = await generateSelfSigned(['localhost']);
    const renewedCa = join(dir.path, 'renewed-ca.crt');
    writeFileSync(renewedCa, renewed.cert);
    const stats = () => ctl(['--server', server, '--token-file', token, '--tls', '--ca', renewedCa, '--timeout', '3000', 'stats']);
    assert.equal((await stats()).code, 1, 'the new certificate is not served yet');
    writeFileSync(join(dir.path, 'tls.key.new'), renewed.key);
    writeFileSync(join(dir.path, 'tls.crt.new'), renewed.cert);
    renameSync(join(dir.path, 'tls.key.new'), join(dir.path, 'tls.key'));
    renameSync(join(dir.path, 'tls.crt.new'), certFile);
    await waitFor(async () => (await stats()).code === 0, { timeoutMs: 20_000, what: 'the admin API serves the renewed certificate' });
  });
});
