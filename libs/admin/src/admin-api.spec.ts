import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createMechanism, inviteTokenId } from '#libs/auth';
import { CONFIG, loadConfig, type GliderConfig } from '#libs/config';
import { BUS, decodeFrame, encodeAck, InProcessBus, subjects, type EdgeControl } from '#libs/bus';
import { createSessionRegistry, SESSION_REGISTRY, type SessionRegistry } from '#libs/sessions';
import { EmbeddedStorage, STORAGE } from '#libs/storage';
import { LOGGER } from '#libs/telemetry';
import { freePort } from '#libs/testing';
import { credentials, loadPackageDefinition, Metadata, status, type Client } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Global, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { pino } from 'pino';
import { ADMIN_LOADER_OPTIONS, adminProtoPath } from './admin-proto.js';
import { adminMicroserviceOptions } from './admin-microservice.options.js';
import { AdminModule } from './admin.module.js';

const bearer = (token: string): Metadata => {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const gliderctl = join(root, 'dist', 'apps', 'gliderctl', 'src', 'main.js');
const CHILD_TIMEOUT_MS = 30_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real gliderctl; `stdin` is written then closed (a pipe, so it is not a TTY). */
let tokenFile = '';

function ctl(server: string, args: string[], stdin = '', opts: { env?: Record<string, string>; token?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GLIDER_'))), ...opts.env };
    const auth = opts.token === false ? [] : ['--token-file', tokenFile];
    const child = spawn(process.execPath, [gliderctl, '--server', server, ...auth, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

// Drives gliderctl through a pseudo-terminal (Python's pty: Node has none) to type the password twice.
const PTY_DRIVER = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def read_for(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end and not (until and until in out):
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 1024)
            except OSError:
                return
read_for(20, b'New password: ')
os.write(fd, b'tty-passw0rd\\r')
read_for(20, b'Repeat password: ')
os.write(fd, b'tty-passwX\\x7f0rd\\r')
read_for(20)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode())
sys.exit(os.WEXITSTATUS(status))
`;

async function canLogIn(storage: EmbeddedStorage, username: string, password: string): Promise<boolean> {
  const mech = createMechanism('PLAIN', {
    domain: 'localhost',
    plusAdvertised: false,
    lookup: (u) => storage.accounts.get(u, 'localhost'),
  });
  return (await mech.step(Buffer.from(`\0${username}\0${password}`))).kind === 'success';
}

describe('admin API with gliderctl', () => {
  let dir: string;
  let storage: EmbeddedStorage;
  let app: INestMicroservice | undefined;
  let server: string;
  let bus: InProcessBus | undefined;
  let sessions: SessionRegistry | undefined;

  before(async () => {
    assert.ok(existsSync(gliderctl), `build first: ${gliderctl} is missing`);
    dir = mkdtempSync(join(tmpdir(), 'glider-admin-'));
    const port = await freePort();
    const config: GliderConfig = loadConfig({
      env: {},
      overrides: { domains: ['localhost', 'example.com'], dataDir: dir, admin: { host: '127.0.0.1', grpcPort: port } },
    });
    storage = new EmbeddedStorage({ dataDir: dir });
    await storage.open();
    bus = new InProcessBus();
    sessions = createSessionRegistry(bus, { logger: pino({ level: 'silent' }) });
    await sessions.start();

    @Global()
    @Module({
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: STORAGE, useValue: storage },
        { provide: LOGGER, useValue: pino({ level: 'silent' }) },
        { provide: SESSION_REGISTRY, useValue: sessions },
        { provide: BUS, useValue: bus },
      ],
      exports: [CONFIG, STORAGE, LOGGER, SESSION_REGISTRY, BUS],
    })
    class TestCoreModule {}

    @Module({ imports: [TestCoreModule, AdminModule] })
    class TestAppModule {}

    app = await NestFactory.createMicroservice(TestAppModule, { ...adminMicroserviceOptions(config), logger: false });
    await app.listen();
    server = `127.0.0.1:${port}`;
    tokenFile = join(dir, 'admin-token');
  });

  after(async () => {
    await app?.close();
    await sessions?.stop();
    await bus?.close();
    await storage?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds a user from stdin, normalising the JID, and refuses a duplicate', async () => {
    const added = await ctl(server, ['user', 'add', 'Alice@localhost'], 'first-password\n');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, 'created alice@localhost\n');
    assert.ok(await canLogIn(storage, 'alice', 'first-password'));
    const again = await ctl(server, ['user', 'add', 'alice@localhost'], 'x\n');
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'gliderctl: user alice@localhost already exists\n');
  });

  it('prompts twice without echo on a terminal', async () => {
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn(
        'python3',
        ['-c', PTY_DRIVER, process.execPath, gliderctl, '--server', server, '--token-file', tokenFile, 'user', 'add', 'tty@localhost'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /New password: \r?\nRepeat password: \r?\ncreated tty@localhost/);
    assert.doesNotMatch(run.stdout, /tty-pass/);
    assert.ok(await canLogIn(storage, 'tty', 'tty-passw0rd'));
  });

  it('adds from a password file and lists per domain and across domains', async () => {
    const file = join(dir, 'pw');
    writeFileSync(file, 'file-password\nignored second line\n');
    const added = await ctl(server, ['user', 'add', 'bob@example.com', '--password-file', file]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await storage.accounts.get('bob', 'example.com'))?.username, 'bob');
    const one = await ctl(server, ['user', 'list', 'example.com']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, 'bob@example.com\n');
    const all = await ctl(server, ['user', 'list']);
    assert.match(all.stdout, /^alice@localhost\n(.*\n)*bob@example\.com\n$/);
    const stats = await ctl(server, ['stats']);
    assert.match(stats.stdout, /storage: ok\n/);
    assert.match(stats.stdout, /example\.com: 1 users\n/);
  });

  it('changes a password', async () => {
    await ctl(server, ['user', 'add', 'carol@localhost'], 'old-password\n');
    const changed = await ctl(server, ['user', 'passwd', 'carol@localhost'], 'new-password\n');
    assert.equal(changed.code, 0, changed.stderr);
    assert.ok(await canLogIn(storage, 'carol', 'new-password'));
    assert.equal(await canLogIn(storage, 'carol', 'old-password'), false);
  });

  it('deletes a user and its data, then reports it unknown', async () => {
    await ctl(server, ['user', 'add', 'dave@localhost'], 'dave-password\n');
    await storage.offline.push('dave@localhost', '<message/>', 10);
    const del = await ctl(server, ['user', 'del', 'dave@localhost']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(await storage.accounts.get('dave', 'localhost'), undefined);
    assert.equal(await storage.offline.count('dave@localhost'), 0);
    const again = await ctl(server, ['user', 'del', 'dave@localhost']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'gliderctl: user dave@localhost does not exist\n');
    const passwd = await ctl(server, ['user', 'passwd', 'nobody@localhost'], 'whatever\n');
    assert.equal(passwd.stderr, 'gliderctl: user nobody@localhost does not exist\n');
  });

  it('names what is wrong with a JID, a domain or a password', async () => {
    const noLocal = await ctl(server, ['user', 'add', '@localhost'], 'pw\n');
    assert.equal(noLocal.code, 1);
    assert.match(noLocal.stderr, /^gliderctl: "@localhost" is not a bare JID/);
    const resource = await ctl(server, ['user', 'add', 'eve@localhost/phone'], 'pw\n');
    assert.match(resource.stderr, /has a resource/);
    const badLocal = await ctl(server, ['user', 'add', 'e"ve@localhost'], 'pw\n');
    assert.match(badLocal.stderr, /not a valid JID local part/);
    const domain = await ctl(server, ['user', 'add', 'eve@other.org'], 'pw\n');
    assert.equal(domain.code, 1);
    assert.match(domain.stderr, /does not serve the domain other\.org/);
    const empty = await ctl(server, ['user', 'add', 'eve@localhost'], '');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty password/);
    const list = await ctl(server, ['user', 'list', 'other.org']);
    assert.match(list.stderr, /does not serve the domain other\.org/);
  });

  it("lists a user's bound sessions from the registry", async () => {
    const boundAtMs = Date.UTC(2026, 0, 2, 3, 4, 5);
    const base = { edgeId: 'edge-1', available: true, interested: true, boundAtMs };
    await sessions!.bind({ ...base, jid: 'erin@localhost/phone', sessionId: 's1', priority: 5 }, 'replace');
    await sessions!.bind({ ...base, jid: 'erin@localhost/desk', sessionId: 's2', priority: -1, available: false }, 'replace');
    const run = await ctl(server, ['user', 'sessions', 'Erin@localhost']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      'erin@localhost/desk edge=edge-1 priority=-1 unavailable since=2026-01-02T03:04:05.000Z\n' +
        'erin@localhost/phone edge=edge-1 priority=5 available since=2026-01-02T03:04:05.000Z\n',
    );
    const none = await ctl(server, ['user', 'sessions', 'nobody@localhost']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
  });

  it('closes the sessions of a user whose password changes or who is deleted; caches forget its blocklist', async () => {
    const controls: EdgeControl[] = [];
    const sub = bus!.subscribe(subjects.edgeControl('edge-2'), (m) => {
      const frame = decodeFrame(m.data);
      if (frame.control) controls.push(frame.control);
    });
    const blocklists: string[] = [];
    const changed = bus!.subscribe(subjects.blocklistChanged(), (m) => void blocklists.push(Buffer.from(m.data).toString('utf8')));
    try {
      await ctl(server, ['user', 'add', 'frank@localhost'], 'frank-password\n');
      const base = { edgeId: 'edge-2', available: true, interested: true, boundAtMs: 1, priority: 0 };
      await sessions!.bind({ ...base, jid: 'frank@localhost/a', sessionId: 'fa' }, 'replace');
      assert.equal((await ctl(server, ['user', 'passwd', 'frank@localhost'], 'frank-new-password\n')).code, 0);
      assert.equal((await ctl(server, ['user', 'del', 'frank@localhost'])).code, 0);
      await bus!.flush();
      assert.deepEqual(
        controls.map((c) => [c.kind, c.sessionId, c.condition]),
        [
          ['CLOSE_SESSION', 'fa', 'reset'],
          ['CLOSE_SESSION', 'fa', 'not-authorized'],
        ],
      );
      assert.deepEqual(blocklists, ['frank@localhost'], 'every blocklist cache forgets the deleted account’s list');
    } finally {
      await sub.unsubscribe();
      await changed.unsubscribe();
    }
  });

  it('disables a user (no login, sessions closed) and re-enables it', async () => {
    const controls: EdgeControl[] = [];
    const sub = bus!.subscribe(subjects.edgeControl('edge-4'), (m) => {
      const frame = decodeFrame(m.data);
      if (frame.control) controls.push(frame.control);
    });
    try {
      await ctl(server, ['user', 'add', 'gina@localhost'], 'gina-password\n');
      await sessions!.bind(
        { jid: 'gina@localhost/a', sessionId: 'ga', edgeId: 'edge-4', available: true, interested: true, boundAtMs: 1, priority: 0 },
        'replace',
      );
      const off = await ctl(server, ['user', 'disable', 'Gina@localhost']);
      assert.equal(off.code, 0, off.stderr);
      assert.equal(off.stdout, 'disabled gina@localhost\n');
      assert.equal(await canLogIn(storage, 'gina', 'gina-password'), false);
      const listed = await ctl(server, ['user', 'list', 'localhost']);
      assert.match(listed.stdout, /^gina@localhost \(disabled\)$/m);
      await bus!.flush();
      assert.deepEqual(
        controls.map((c) => [c.kind, c.sessionId, c.condition]),
        [['CLOSE_SESSION', 'ga', 'not-authorized']],
      );
      const on = await ctl(server, ['user', 'enable', 'gina@localhost']);
      assert.equal(on.stdout, 'enabled gina@localhost\n');
      assert.ok(await canLogIn(storage, 'gina', 'gina-password'));
      const unknown = await ctl(server, ['user', 'disable', 'nobody@localhost']);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr, 'gliderctl: user nobody@localhost does not exist\n');
    } finally {
      await sub.unsubscribe();
      await sessions!.remove('gina@localhost/a', 'ga');
    }
  });

  it('lists and revokes FAST tokens (XEP-0484) per client or all, and a password change revokes them', async () => {
    await ctl(server, ['user', 'add', 'hana@localhost'], 'hana-password\n');
    const slot = (key: string) => ({ key, mechanism: 'HT-SHA-256-NONE', issuedAt: new Date(1_000), expiresAt: new Date(2_000_000_000_000), count: 0 });
    await storage.fastTokens.issue('hana@localhost', 'phone-id', slot('a2V5MQ=='), 10, new Date(1_000));
    await storage.fastTokens.issue('hana@localhost', 'laptop-id', slot('a2V5Mg=='), 10, new Date(2_000));
    const listed = await ctl(server, ['user', 'tokens', 'hana@localhost']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(
      listed.stdout,
      'phone-id HT-SHA-256-NONE expires=2033-05-18T03:33:20.000Z active=1970-01-01T00:00:01.000Z\n' +
        'laptop-id HT-SHA-256-NONE expires=2033-05-18T03:33:20.000Z active=1970-01-01T00:00:02.000Z\n',
    );
    assert.ok(!listed.stdout.includes('a2V5'), 'no key is shown');
    const one = await ctl(server, ['user', 'revoke-tokens', 'hana@localhost', 'phone-id']);
    assert.equal(one.stdout, 'revoked the FAST tokens of 1 client(s) of hana@localhost\n');
    assert.deepEqual(
      (await storage.fastTokens.list('hana@localhost')).map((c) => c.client),
      ['laptop-id'],
    );
    await ctl(server, ['user', 'passwd', 'hana@localhost'], 'hana-new-password\n');
    assert.deepEqual(await storage.fastTokens.list('hana@localhost'), [], 'a new password revokes every token');
    await storage.fastTokens.issue('hana@localhost', 'tablet-id', slot('a2V5Mw=='), 10, new Date(3_000));
    const all = await ctl(server, ['user', 'revoke-tokens', 'hana@localhost']);
    assert.equal(all.stdout, 'revoked the FAST tokens of 1 client(s) of hana@localhost\n');
    const unknown = await ctl(server, ['user', 'tokens', 'nobody@localhost']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'gliderctl: user nobody@localhost does not exist\n');
  });

  it('creates, lists and revokes invites (XEP-0401 / XEP-0379); the token is shown once, stored only hashed', async () => {
    await ctl(server, ['user', 'add', 'ines@localhost'], 'ines-password\n');
    const made = await ctl(server, ['invite', 'create', 'ines@localhost', '--group', 'Friends', '--uses', '3', '--expires', '7d']);
    assert.equal(made.code, 0, made.stderr);
    const [uri, link, meta] = made.stdout.trim().split('\n');
    assert.equal(link, `https://localhost:5443/invite#${encodeURIComponent(uri!)}`);
    const m = /^xmpp:ines@localhost\?roster;preauth=([A-Za-z0-9_-]{22});ibr=y$/.exec(uri!);
    assert.ok(m, uri);
    const id = inviteTokenId(m[1]!);
    assert.match(meta!, new RegExp(`^id=${id} uses=3 expires=`));
    const stored = (await storage.invites.get(id))!;
    assert.deepEqual({ inviter: stored.inviter, group: stored.group, usesLeft: stored.usesLeft }, { inviter: 'ines@localhost', group: 'Friends', usesLeft: 3 });
    assert.equal(stored.expiresAt.getTime() - stored.createdAt.getTime(), 7 * 86_400_000);
    const plain = await ctl(server, ['invite', 'create', 'localhost']);
    assert.match(plain.stdout, /^xmpp:localhost\?register;preauth=[A-Za-z0-9_-]{22}\n/);
    const listed = await ctl(server, ['invite', 'list', 'localhost']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.includes(`${id} localhost inviter=ines@localhost group="Friends" uses=3/3 expires=`), listed.stdout);
    assert.ok(!listed.stdout.includes(m[1]!), 'no token is listed');
    const revoked = await ctl(server, ['invite', 'revoke', id]);
    assert.equal(revoked.stdout, `revoked invite ${id}\n`);
    assert.equal(await storage.invites.get(id), undefined);
    const again = await ctl(server, ['invite', 'revoke', id]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `gliderctl: invite ${id} does not exist\n`);
    const bad = await ctl(server, ['invite', 'create', '--expires', 'soon']);
    assert.equal(bad.stderr, 'gliderctl: expiry "soon" is not a duration like 7d, 12h, 30m\n');
    const nobody = await ctl(server, ['invite', 'create', 'nobody@localhost']);
    assert.equal(nobody.stderr, 'gliderctl: user nobody@localhost does not exist\n');
    const tooMany = await ctl(server, ['invite', 'create', '--uses', '100000']);
    assert.equal(tooMany.stderr, 'gliderctl: uses must be 1..1000\n');
  });

  it('lists online users and announces to their available sessions', async () => {
    const got: string[] = [];
    // a stand-in edge that takes every delivery (the router's own specs cover a real edge)
    const sub = bus!.subscribe(subjects.edgeDeliver('edge-5'), (m) => {
      const st = decodeFrame(m.data).stanza!;
      got.push(`${st.target?.sessionId} ${Buffer.from(st.xml).toString()}`);
      m.respond(encodeAck({ taken: true }));
    });
    const base = { edgeId: 'edge-5', interested: true, boundAtMs: 1, priority: 0 };
    try {
      await sessions!.bind({ ...base, jid: 'hal@example.com/one', sessionId: 'h1', available: true }, 'replace');
      await sessions!.bind({ ...base, jid: 'hal@example.com/two', sessionId: 'h2', available: false }, 'replace');
      await sessions!.bind({ ...base, jid: 'ivy@example.com/x', sessionId: 'i1', available: true }, 'replace');
      const online = await ctl(server, ['online', 'example.com']);
      assert.equal(online.code, 0, online.stderr);
      assert.equal(online.stdout, 'hal@example.com hal@example.com/one hal@example.com/two\nivy@example.com ivy@example.com/x\n');
      const sent = await ctl(server, ['announce', 'example.com', 'Maintenance at 22:00', '--subject', 'Heads up']);
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(sent.stdout, 'announced to 2 sessions\n');
      assert.deepEqual(got.map((g) => g.split(' ')[0]).sort(), ['h1', 'i1'], 'only available sessions');
      assert.match(got[0]!, /type="headline"/);
      assert.match(got[0]!, /<subject>Heads up<\/subject><body>Maintenance at 22:00<\/body>/);
      const empty = await ctl(server, ['announce', 'example.com', '  ']);
      assert.equal(empty.code, 1);
      assert.match(empty.stderr, /no text/);
    } finally {
      await sub.unsubscribe();
      for (const [jid, id] of [
        ['hal@example.com/one', 'h1'],
        ['hal@example.com/two', 'h2'],
        ['ivy@example.com/x', 'i1'],
      ] as const)
        await sessions!.remove(jid, id);
    }
  });

  it('pages ListUsers with opaque tokens', async () => {
    for (const n of ['p1', 'p2', 'p3']) await ctl(server, ['user', 'add', `${n}@example.com`], 'pw-pw-pw\n');
    const def = loadSync(adminProtoPath(), { ...ADMIN_LOADER_OPTIONS });
    const pkg = loadPackageDefinition(def) as unknown as { glider: { admin: { v1: { Admin: new (a: string, c: unknown) => Client } } } };
    const client = new pkg.glider.admin.v1.Admin(server, credentials.createInsecure()) as Client &
      Record<string, (req: object, md: Metadata, cb: (err: Error | null, r: never) => void) => void>;
    const list = (req: object) =>
      new Promise<{ users: { jid: string }[]; nextPageToken: string; total: number }>((res, rej) =>
        client.ListUsers!(req, bearer(readFileSync(tokenFile, 'utf8').trim()), (err: Error | null, r: never) => (err ? rej(err) : res(r))),
      );
    try {
      const seen: string[] = [];
      let token = '';
      for (let i = 0; i < 10; i++) {
        const page = await list({ domain: 'example.com', pageSize: 2, pageToken: token });
        assert.equal(page.total, 4);
        seen.push(...page.users.map((u) => u.jid));
        token = page.nextPageToken;
        if (!token) break;
      }
      assert.deepEqual(seen, ['bob@example.com', 'p1@example.com', 'p2@example.com', 'p3@example.com']);
      await assert.rejects(list({ domain: 'example.com', pageSize: 5000 }), /page_size must be between 1 and 1000/);
    } finally {
      client.close();
    }
  });

  it('refuses a call without the token, or with a wrong one, with UNAUTHENTICATED; the token file is 0600', async () => {
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const def = loadSync(adminProtoPath(), { ...ADMIN_LOADER_OPTIONS });
    const pkg = loadPackageDefinition(def) as unknown as { glider: { admin: { v1: { Admin: new (a: string, c: unknown) => Client } } } };
    const client = new pkg.glider.admin.v1.Admin(server, credentials.createInsecure()) as Client &
      Record<string, (req: object, md: Metadata, cb: (err: Error | null, r: never) => void) => void>;
    const statsWith = (md: Metadata) =>
      new Promise<{ version: string }>((res, rej) => client.Stats!({}, md, (err: Error | null, r: never) => (err ? rej(err) : res(r))));
    try {
      await assert.rejects(statsWith(new Metadata()), (err: { code: status }) => err.code === status.UNAUTHENTICATED);
      await assert.rejects(
        statsWith(bearer('not-the-token-at-all')),
        (err: { code: status; details: string }) => err.code === status.UNAUTHENTICATED && /invalid admin token/.test(err.details),
      );
      assert.ok((await statsWith(bearer(readFileSync(tokenFile, 'utf8').trim()))).version);
    } finally {
      client.close();
    }
    const none = await ctl(server, ['user', 'add', 'nobody@localhost'], 'pw-pw-pw\n', { token: false, env: { GLIDER_DATA_DIR: join(dir, 'elsewhere') } });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /not authenticated: .*no token found at .*elsewhere\/admin-token/);
    assert.equal(await storage.accounts.get('nobody', 'localhost'), undefined);
    // like `npm run gliderctl -- user add` next to `npm start`: the token is found in the data dir, no flag
    const plain = await ctl(server, ['user', 'add', 'dora@localhost'], 'pw-pw-pw\n', { token: false, env: { GLIDER_DATA_DIR: dir } });
    assert.equal(plain.code, 0, plain.stderr);
  });

  it('reports an unreachable server and usage errors with their exit codes', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const down = await ctl(closed, ['user', 'list', 'localhost']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`^gliderctl: cannot reach the admin API at ${closed}: .+`));
    const addDown = await ctl(closed, ['user', 'add', 'x@localhost']); // fails before asking for a password
    assert.equal(addDown.code, 1);
    assert.match(addDown.stderr, /cannot reach the admin API/);
    const usage = await ctl(server, ['user', 'frob']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown user command "frob"/);
    const missing = await ctl(server, ['user', 'add']);
    assert.equal(missing.code, 2);
    const badOption = await ctl(server, ['--bogus']);
    assert.equal(badOption.code, 2);
  });
});
