import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { xmppClusterSpec } from '../operator/src/api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../operator/src/api/v1alpha1/types.js';
import { adminTokenSecret } from '../operator/src/controllers/xmppcluster/admin-token.js';
import { gliderConfig } from '../operator/src/controllers/xmppcluster/desired/glider-config.js';
import { serverDnsNames } from '../operator/src/tls/operator-issuer.js';
import { createCa, issueServerCertificate } from '../operator/src/tls/pki.js';
import type { CtlResult } from './harness/gliderctl.js';
import { repoRoot } from './harness/paths.js';
import { startStandalone, type Deployment } from './harness/standalone.js';

/**
 * The admin API as the operator sets it up in a router pod (issue 9): listening on every interface,
 * TLS with the server certificate from the operator's CA, and the token from the cluster's token
 * Secret. Real process, real gliderctl: only TLS and the token together get through.
 */
const cluster: XmppCluster = {
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'chat', namespace: 'glider', uid: 'u1', generation: 1 },
  spec: xmppClusterSpec.parse({ domains: ['example.com'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://m:27017' } }),
};

function ctl(args: string[], opts: { env?: Record<string, string>; cwd: string; stdin?: string }): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/apps/gliderctl/src/main.js'), ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

describe('admin API on the pod network: the operator-generated shape (TLS + cluster token)', { timeout: 120_000 }, () => {
  let dir: string;
  let glider: Deployment;
  let configFile: string;
  let server: string;
  const files = { token: '', ca: '' };
  let inPod: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'glider-admin-net-'));
    // What the operator puts in the pod: its CA's server certificate, the token Secret's content.
    const now = new Date();
    const ca = await createCa('chat.glider Glider CA', now, 86_400_000);
    const cert = await issueServerCertificate(ca, serverDnsNames(cluster), now, 3_600_000);
    const tls = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
    writeFileSync(tls.certFile, cert.certPem);
    writeFileSync(tls.keyFile, cert.keyPem);
    files.ca = join(dir, 'ca.crt');
    writeFileSync(files.ca, ca.certPem);
    files.token = join(dir, 'token');
    writeFileSync(files.token, Buffer.from(adminTokenSecret(cluster).data.token!, 'base64'), { mode: 0o400 });
    // The operator's admin section, with its pod paths mapped to this directory.
    const admin: Record<string, unknown> = { ...(gliderConfig(cluster)['admin'] as Record<string, unknown>), tokenFile: files.token, caFile: files.ca };
    assert.equal(admin['host'], '0.0.0.0');
    assert.equal(admin['tls'], true);
    configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, stringify({ admin, tls }));
    glider = await startStandalone({ GLIDER_CONFIG: configFile });
    server = `127.0.0.1:${glider.adminPort}`;
    inPod = { GLIDER_CONFIG: configFile, GLIDER_ADMIN__GRPC_PORT: String(glider.adminPort), GLIDER_DATA_DIR: dir };
  });
  after(async () => {
    await glider?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gliderctl in the pod, with no flags, reads the token, CA and name from the config', async () => {
    const r = await ctl(['user', 'add', 'tess@localhost'], { env: inPod, cwd: dir, stdin: 'pw-pw-pw\n' });
    assert.equal(r.code, 0, r.stderr);
  });

  it('from elsewhere: --tls --ca --token-file (and the Service name) get through', async () => {
    const r = await ctl(
      ['--server', server, '--tls', '--ca', files.ca, '--tls-server-name', 'chat-admin.glider.svc', '--token-file', files.token, 'user', 'list', 'localhost'],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /tess@localhost/);
  });

  it('TLS without the token: UNAUTHENTICATED', async () => {
    const r = await ctl(['--server', server, '--tls', '--ca', files.ca, '--tls-server-name', 'chat-admin.glider.svc', 'user', 'list', 'localhost'], {
      cwd: dir,
    });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /not authenticated/);
    assert.doesNotMatch(r.stdout, /tess@localhost/);
  });

  it('the token without TLS: refused', async () => {
    const r = await ctl(['--server', server, '--token-file', files.token, '--timeout', '3000', 'user', 'list', 'localhost'], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.doesNotMatch(r.stdout, /tess@localhost/);
  });

  it('TLS with a certificate from another CA: refused', async () => {
    const other = await createCa('someone else', new Date(), 86_400_000);
    const otherCa = join(dir, 'other-ca.crt');
    writeFileSync(otherCa, other.certPem);
    const r = await ctl(
      [
        '--server',
        server,
        '--tls',
        '--ca',
        otherCa,
        '--tls-server-name',
        'chat-admin.glider.svc',
        '--token-file',
        files.token,
        '--timeout',
        '3000',
        'user',
        'list',
        'localhost',
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 1, r.stdout);
    assert.doesNotMatch(r.stdout, /tess@localhost/);
  });
});
