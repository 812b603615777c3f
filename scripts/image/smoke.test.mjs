// npm run image:smoke (CI, after npm run image): each image archive, unpacked and run as Kubernetes
// would run it (sandbox.mjs: its entrypoint, user and working directory, read-only root, in its own
// network, mount and PID namespaces), does its job:
//   app       standalone, with a certificate from a cluster CA mounted as the operator mounts its
//             Secret, serves a real XMPP login on 5222 (STARTTLS verified for the domain, an account
//             made by the image's own gliderctl like `kubectl exec`, ping and a message to itself),
//             /healthz/ready answers 200, the chart's `helm test` script passes in it (gliderctl over
//             the admin API with TLS and the token, direct TLS login, message, ping), SIGTERM ends it with 0;
//   operator  --help prints its usage, and against an API server it reports ready on 8081 and
//             deploys the app image that `npm run image` built (the default repository and tag).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageConfig, inNetns, netns, run, unavailable, unpack } from './sandbox.mjs';
import { root } from './tools.mjs';

const skip = unavailable();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const images = () => {
  try {
    return Object.fromEntries(JSON.parse(readFileSync(join(root, 'dist/images/images.json'), 'utf8')).map((i) => [i.which, i]));
  } catch {
    throw new Error('dist/images/images.json missing: run npm run image first');
  }
};

/** Collects a process's output and resolves waits on it (a log line is the event). */
function output(proc) {
  let text = '';
  const waiters = [];
  const feed = (d) => {
    text += String(d);
    for (const w of [...waiters]) {
      const m = w.re.exec(text);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout.on('data', feed);
  proc.stderr.on('data', feed);
  proc.on('exit', () => waiters.splice(0).forEach((w) => w.reject(new Error(`exited before ${w.re}; output:\n${text.slice(-4000)}`))));
  return {
    text: () => text,
    wait: (re) => {
      const m = re.exec(text);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => waiters.push({ re, resolve, reject }));
    },
  };
}

/** Runs smoke-client.mjs in the namespace; resolves with its JSON answer. */
function client(ns, args) {
  const p = inNetns(ns, process.execPath, [join(root, 'scripts/image/smoke-client.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += String(d)));
  p.stderr.on('data', (d) => (err += String(d)));
  return new Promise((resolve) =>
    p.on('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        resolve({ ok: false, error: `client printed no answer: ${out}${err}` });
      }
    }),
  );
}

function checkConfig(image, want) {
  const { config, repoTags, index } = imageConfig(image.file);
  assert.deepEqual(repoTags, [image.ref]);
  assert.equal(index.manifests[0].annotations['io.containerd.image.name'], image.ref);
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], image.ref.split(':').pop());
  assert.equal(config.config.User, '10001:10001', 'a numeric non-root user (runAsNonRoot can check it)');
  assert.equal(config.config.WorkingDir, '/app');
  assert.equal(config.config.Labels['org.opencontainers.image.version'], image.ref.split(':').pop());
  assert.equal(config.config.Labels['org.opencontainers.image.licenses'], pkg.license);
  for (const p of want.ports) assert.ok(p in config.config.ExposedPorts, `${p} exposed`);
  return config;
}

describe('image smoke test', { skip, timeout: 150_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'glider-image-smoke-'));
  const cleanups = [];
  after(() => {
    for (const c of cleanups.reverse()) {
      try {
        c();
      } catch {
        // best effort: the rest still runs
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  describe('app image', () => {
    let image, config, rootfs, ns, ctr, out;
    const domain = 'smoke.example';
    const adminName = 'smoke-admin.glider.svc';
    before(async () => {
      image = images().app;
      config = checkConfig(image, { ports: ['5222/tcp', '5223/tcp', '9090/tcp'] });
      rootfs = join(work, 'app');
      unpack(image.file, rootfs);
      ns = netns();
      cleanups.push(ns.remove);
      // The layout of the operator's TLS Secret (tls.crt, tls.key, ca.crt), from the operator's own PKI.
      const { createCa, issueServerCertificate } = await import(join(root, 'dist/operator/src/tls/pki.js'));
      const now = new Date();
      const ca = await createCa('Glider smoke CA', now, 86_400_000);
      const server = await issueServerCertificate(ca, [domain, adminName], now, 86_400_000);
      mkdirSync(join(work, 'tls'));
      writeFileSync(join(work, 'tls/tls.crt'), server.certPem);
      writeFileSync(join(work, 'tls/tls.key'), server.keyPem);
      writeFileSync(join(work, 'tls/ca.crt'), ca.certPem);
      writeFileSync(
        join(work, 'config.yaml'),
        [
          `domains: [${domain}]`,
          'dataDir: /app/data',
          'tls: { certFile: /etc/glider/tls/tls.crt, keyFile: /etc/glider/tls/tls.key }',
          'admin: { tls: true, caFile: /etc/glider/tls/ca.crt, tlsServerName: ' + adminName + ' }',
          'http: { host: 0.0.0.0 }',
          '',
        ].join('\n'),
      );
      ctr = await run(rootfs, config, {
        ns,
        env: { GLIDER_CONFIG: '/etc/glider/config.yaml' },
        binds: {
          [join(work, 'config.yaml')]: '/etc/glider/config.yaml',
          [join(work, 'tls')]: '/etc/glider/tls',
          [join(root, 'charts/glider/files')]: '/probe',
        },
        volumes: ['/app/data'],
      });
      cleanups.push(() => process.kill(ctr.pid, 'SIGKILL'));
      out = output(ctr.proc);
    });

    it('runs standalone as its user, in /app, and reports ready on /healthz/ready', async () => {
      assert.equal(readFileSync(`/proc/${ctr.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)[1], '10001');
      assert.equal(ctr.exec(['/usr/local/bin/node', '-p', 'process.cwd()']).trim(), '/app');
      const ready = await client(ns, ['ready', 'http://127.0.0.1:9090/healthz/ready']);
      assert.ok(ready.ok, `${JSON.stringify(ready)}\n${out.text().slice(-3000)}`);
    });

    it('logs in over STARTTLS on 5222 with an account made by the image’s gliderctl, pings, and gets its own message', async () => {
      const ca = join(work, 'tls/ca.crt');
      const jid = `smoke@${domain}`;
      const password = `pw-${process.pid}-${Date.now()}`;
      const added = ctr.exec(['/usr/local/bin/node', 'dist/apps/gliderctl/src/main.js', 'user', 'add', jid], {
        input: `${password}\n`,
        env: { GLIDER_CONFIG: '/etc/glider/config.yaml' },
      });
      assert.match(added, /smoke@smoke\.example/);
      const wrong = await client(ns, ['xmpp', jid, 'not-the-password', ca]);
      assert.equal(wrong.ok, false, 'a wrong password must not log in');
      const login = await client(ns, ['xmpp', jid, password, ca]);
      assert.ok(login.ok, JSON.stringify(login));
      assert.deepEqual({ tls: login.tls, ping: login.ping, message: login.message }, { tls: true, ping: 'result', message: true });
      assert.match(login.jid, /^smoke@smoke\.example\/smoke/);
    });

    it('passes the chart’s helm test script (files/helm-test.mjs) run in it, as the test pod runs it', () => {
      const log = ctr.exec(['/usr/local/bin/node', '/probe/helm-test.mjs'], {
        imageEnvOnly: true,
        env: {
          ADMIN_SERVER: '127.0.0.1:5582',
          ADMIN_TLS_SERVER_NAME: adminName,
          TOKEN_FILE: '/app/data/admin-token',
          CA_FILE: '/etc/glider/tls/ca.crt',
          XMPP_HOST: '127.0.0.1',
          XMPP_DOMAIN: domain,
          TEST_TIMEOUT_SECONDS: '30',
        },
      });
      assert.match(log, /created helm-test-[0-9a-f]+@smoke\.example through the admin API/);
      assert.match(log, /direct TLS to 127\.0\.0\.1:5223, certificate valid for smoke\.example/);
      assert.match(log, /logged in as helm-test-[0-9a-f]+@smoke\.example \(SCRAM-SHA-256\)/);
      assert.match(log, /message to helm-test-[0-9a-f]+@smoke\.example\/helm-test delivered back/);
      assert.match(log, /helm test passed/);
      const jid = /created (\S+) through/.exec(log)[1];
      assert.match(log, new RegExp(`deleted ${jid.replaceAll('.', '\\.')}`));
      // It can fail: with a token that is not the admin token, no account, exit 1 naming the call.
      assert.throws(
        () =>
          ctr.exec(['/usr/local/bin/node', '/probe/helm-test.mjs'], {
            imageEnvOnly: true,
            env: {
              ADMIN_SERVER: '127.0.0.1:5582',
              ADMIN_TLS_SERVER_NAME: adminName,
              TOKEN_FILE: '/etc/glider/config.yaml',
              CA_FILE: '/etc/glider/tls/ca.crt',
              XMPP_HOST: '127.0.0.1',
              XMPP_DOMAIN: domain,
            },
          }),
        /exit 1[\s\S]*FAIL: gliderctl user add helm-test-[0-9a-f]+@smoke\.example against 127\.0\.0\.1:5582/,
      );
      const left = ctr.exec(['/usr/local/bin/node', 'dist/apps/gliderctl/src/main.js', 'user', 'list', domain], {
        env: { GLIDER_CONFIG: '/etc/glider/config.yaml' },
      });
      assert.doesNotMatch(left, /helm-test-/, 'the test account is gone');
    });

    it('stops on SIGTERM with exit code 0, as on a pod deletion', async () => {
      process.kill(ctr.pid, 'SIGTERM');
      const { code } = await ctr.exited;
      assert.equal(code, 0, out.text().slice(-3000));
    });
  });

  describe('operator image', () => {
    let image, config, rootfs;
    before(() => {
      image = images().operator;
      config = checkConfig(image, { ports: ['8081/tcp'] });
      rootfs = join(work, 'operator');
      unpack(image.file, rootfs);
    });

    it('prints its usage with --help and exits 0', async () => {
      const ns = netns();
      cleanups.push(ns.remove);
      const ctr = await run(rootfs, config, { ns, args: ['--help'] });
      const out = output(ctr.proc);
      const { code } = await ctr.exited;
      assert.equal(code, 0, out.text());
      assert.match(out.text(), new RegExp(`^glider-operator ${pkg.version.replaceAll('.', '\\.')}: reconciles XmppCluster`, 'm'));
      assert.match(out.text(), /APP_IMAGE_TAG/);
    });

    it('against an API server: ready on /healthz/ready and deploys the app image the build made', async () => {
      const ns = netns();
      cleanups.push(ns.remove);
      const kubeconfig = join(work, 'kubeconfig');
      const api = inNetns(ns, process.execPath, [join(root, 'scripts/image/smoke-apiserver.mjs'), kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
      cleanups.push(() => api.kill('SIGKILL'));
      const apiOut = output(api);
      await apiOut.wait(/"listening"/);
      const ctr = await run(rootfs, config, {
        ns,
        env: {
          KUBECONFIG: '/etc/glider-operator/kubeconfig',
          WATCH_NAMESPACE: 'glider',
          POD_NAMESPACE: 'glider',
          POD_NAME: 'smoke-operator',
          LOG_LEVEL: 'warn',
        },
        binds: { [kubeconfig]: '/etc/glider-operator/kubeconfig' },
      });
      cleanups.push(() => process.kill(ctr.pid, 'SIGKILL'));
      const out = output(ctr.proc);
      const ready = await client(ns, ['ready', 'http://127.0.0.1:8081/healthz/ready']);
      assert.ok(ready.ok, `${JSON.stringify(ready)}\n${out.text().slice(-3000)}`);
      const [line] = await apiOut.wait(/\{"deployment".*\}/);
      const { image: deployed } = JSON.parse(line);
      // The operator's default (no APP_IMAGE_* set) is the app image this build tagged.
      assert.equal(deployed.split(':').pop(), pkg.version);
      if (images().app.ref.startsWith('ghcr.io/glider-im/')) assert.equal(deployed, images().app.ref);
      process.kill(ctr.pid, 'SIGTERM');
      const { code } = await ctr.exited;
      assert.equal(code, 0, out.text().slice(-3000));
    });
  });
});
