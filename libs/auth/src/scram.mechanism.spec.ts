import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '#libs/storage';
import { createMechanism } from './create-mechanism.js';
import { deriveScramCredential, digest, hmac, makeScramCredentials, saltedPassword, type ScramHash } from './scram-credentials.js';
import { ScramMechanism } from './scram.mechanism.js';
import type { SaslContext, SaslStep } from './sasl.types.js';

const text = (s: SaslStep): string => (s.kind === 'failure' ? `failure:${s.condition}` : (s.data?.toString('utf8') ?? ''));
const buf = (s: string) => Buffer.from(s, 'utf8');

function ctxWith(accounts: Record<string, Account>, extra: Partial<SaslContext> = {}): SaslContext {
  return { domain: 'localhost', lookup: async (u) => accounts[u], plusAdvertised: false, ...extra };
}

async function accountFor(username: string, password: string, opts: { disabled?: boolean; iterations?: number } = {}): Promise<Account> {
  return {
    username,
    domain: 'localhost',
    scram: await makeScramCredentials(password, opts.iterations ?? 4096),
    createdAt: new Date(),
    disabled: opts.disabled ?? false,
  };
}

/** A minimal SCRAM client (RFC 5802 §3) to drive the server through whole exchanges. */
async function login(
  mech: { step(b: Buffer): Promise<SaslStep> },
  o: { hash: ScramHash; user: string; password: string; gs2?: string; cbData?: Buffer; authzid?: string },
): Promise<SaslStep> {
  const gs2 = `${o.gs2 ?? 'n'},${o.authzid ? `a=${o.authzid}` : ''},`;
  const bare = `n=${o.user},r=clientnonce123`;
  const first = await mech.step(buf(gs2 + bare));
  if (first.kind !== 'challenge') return first;
  const serverFirst = first.data.toString('utf8');
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const salted = await saltedPassword(o.hash, o.password, Buffer.from(attrs.s, 'base64'), Number(attrs.i));
  const clientKey = hmac(o.hash, salted, 'Client Key');
  const c = Buffer.concat([buf(gs2), o.cbData ?? Buffer.alloc(0)]).toString('base64');
  const withoutProof = `c=${c},r=${attrs.r}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const sig = hmac(o.hash, digest(o.hash, clientKey), authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
  return mech.step(buf(`${withoutProof},p=${proof.toString('base64')}`));
}

describe('SCRAM server', () => {
  it('computes HMAC as RFC 2202 and RFC 4231 say (test case 2), and with an empty key', () => {
    const data = 'what do ya want for nothing?';
    assert.equal(hmac('SHA-1', buf('Jefe'), data).toString('hex'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
    assert.equal(hmac('SHA-256', buf('Jefe'), buf(data)).toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    assert.equal(hmac('SHA-256', Buffer.alloc(0), 'x').toString('hex'), '4cbc96099a6467ce002461f10549b4898265ebe6188b45efacc44293516e62c4');
  });

  it('follows the RFC 5802 SCRAM-SHA-1 example exchange', async () => {
    const cred = await deriveScramCredential('SHA-1', 'pencil', Buffer.from('QSXCR+Q6sek8bf92', 'base64'), 4096);
    const account: Account = { username: 'user', domain: 'localhost', scram: { 'SHA-1': cred, 'SHA-256': cred }, createdAt: new Date(), disabled: false };
    const mech = new ScramMechanism(ctxWith({ user: account }), { hash: 'SHA-1', plus: false, serverNonce: () => '3rfcNHYJY1ZVvWVs7j' });
    const s1 = await mech.step(buf('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    assert.equal(text(s1), 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    const s2 = await mech.step(buf('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    assert.equal(s2.kind, 'success');
    assert.equal(text(s2), 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    assert.equal(s2.kind === 'success' && s2.username, 'user');
  });

  it('follows the RFC 7677 SCRAM-SHA-256 example exchange', async () => {
    const cred = await deriveScramCredential('SHA-256', 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const account: Account = { username: 'user', domain: 'localhost', scram: { 'SHA-1': cred, 'SHA-256': cred }, createdAt: new Date(), disabled: false };
    const mech = new ScramMechanism(ctxWith({ user: account }), { hash: 'SHA-256', plus: false, serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    const s1 = await mech.step(buf('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    assert.equal(text(s1), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const s2 = await mech.step(buf('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
    assert.equal(text(s2), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('asks for the client-first-message with an empty challenge when there is no initial response', async () => {
    const alice = await accountFor('alice', 'secret-pw', { iterations: 1000 });
    const mech = createMechanism('SCRAM-SHA-256', ctxWith({ alice }));
    const s = await mech.step(Buffer.alloc(0));
    assert.deepEqual(s, { kind: 'challenge', data: Buffer.alloc(0) });
    assert.equal((await login(mech, { hash: 'SHA-256', user: 'alice', password: 'secret-pw' })).kind, 'success');
  });

  it('binds to the channel with -PLUS and rejects other binding data', async () => {
    const alice = await accountFor('alice', 'secret-pw', { iterations: 1000 });
    const channelBindings = { 'tls-exporter': buf('exported-keying-material') };
    const ctx = ctxWith({ alice }, { channelBindings, plusAdvertised: true });
    const ok = await login(createMechanism('SCRAM-SHA-256-PLUS', ctx), {
      hash: 'SHA-256',
      user: 'alice',
      password: 'secret-pw',
      gs2: 'p=tls-exporter',
      cbData: channelBindings['tls-exporter'],
    });
    assert.equal(ok.kind, 'success');
    const sha1 = await login(createMechanism('SCRAM-SHA-1-PLUS', ctx), {
      hash: 'SHA-1',
      user: 'alice',
      password: 'secret-pw',
      gs2: 'p=tls-exporter',
      cbData: channelBindings['tls-exporter'],
    });
    assert.equal(sha1.kind, 'success');
    const mitm = await login(createMechanism('SCRAM-SHA-256-PLUS', ctx), {
      hash: 'SHA-256',
      user: 'alice',
      password: 'secret-pw',
      gs2: 'p=tls-exporter',
      cbData: buf('another channel'),
    });
    assert.equal(text(mitm), 'failure:not-authorized');
    const unsupported = await login(createMechanism('SCRAM-SHA-256-PLUS', ctx), {
      hash: 'SHA-256',
      user: 'alice',
      password: 'secret-pw',
      gs2: 'p=tls-server-end-point',
      cbData: buf('x'),
    });
    assert.equal(text(unsupported), 'failure:not-authorized');
    const noPlusFlag = await login(createMechanism('SCRAM-SHA-256-PLUS', ctx), { hash: 'SHA-256', user: 'alice', password: 'secret-pw' });
    assert.equal(text(noPlusFlag), 'failure:malformed-request');
    const pWithoutPlus = await login(createMechanism('SCRAM-SHA-256', ctx), {
      hash: 'SHA-256',
      user: 'alice',
      password: 'secret-pw',
      gs2: 'p=tls-exporter',
      cbData: channelBindings['tls-exporter'],
    });
    assert.equal(text(pWithoutPlus), 'failure:malformed-request');
  });

  it("refuses the 'y' flag when -PLUS was advertised (downgrade) and accepts it otherwise", async () => {
    const alice = await accountFor('alice', 'secret-pw', { iterations: 1000 });
    const downgraded = await login(createMechanism('SCRAM-SHA-256', ctxWith({ alice }, { plusAdvertised: true })), {
      hash: 'SHA-256',
      user: 'alice',
      password: 'secret-pw',
      gs2: 'y',
    });
    assert.equal(text(downgraded), 'failure:not-authorized');
    const plain = await login(createMechanism('SCRAM-SHA-256', ctxWith({ alice })), { hash: 'SHA-256', user: 'alice', password: 'secret-pw', gs2: 'y' });
    assert.equal(plain.kind, 'success');
  });

  it('rejects a wrong password, an unknown user (with a stable salt) and a disabled account', async () => {
    const alice = await accountFor('alice', 'secret-pw', { iterations: 1000 });
    const bob = await accountFor('bob', 'bob-password', { iterations: 1000, disabled: true });
    const ctx = ctxWith({ alice, bob });
    assert.equal(text(await login(createMechanism('SCRAM-SHA-256', ctx), { hash: 'SHA-256', user: 'alice', password: 'wrong' })), 'failure:not-authorized');
    assert.equal(text(await login(createMechanism('SCRAM-SHA-1', ctx), { hash: 'SHA-1', user: 'alice', password: 'wrong' })), 'failure:not-authorized');
    assert.equal(text(await login(createMechanism('SCRAM-SHA-256', ctx), { hash: 'SHA-256', user: 'nobody', password: 'x' })), 'failure:not-authorized');
    const salts = await Promise.all([0, 1].map(async () => text(await createMechanism('SCRAM-SHA-256', ctx).step(buf('n,,n=nobody,r=abc'))).split(',')[1]));
    assert.equal(salts[0], salts[1]);
    assert.equal(
      text(await login(createMechanism('SCRAM-SHA-256', ctx), { hash: 'SHA-256', user: 'bob', password: 'bob-password' })),
      'failure:account-disabled',
    );
    assert.equal(text(await login(createMechanism('SCRAM-SHA-256', ctx), { hash: 'SHA-256', user: 'bob', password: 'nope' })), 'failure:not-authorized');
  });

  it('normalises the username and checks the authzid against it', async () => {
    const alice = await accountFor('alice', 'secret-pw', { iterations: 1000 });
    const ctx = ctxWith({ alice });
    const ok = await login(createMechanism('SCRAM-SHA-256', ctx), { hash: 'SHA-256', user: 'Alice', password: 'secret-pw', authzid: 'alice@localhost' });
    assert.equal(ok.kind === 'success' && ok.username, 'alice');
    const other = await login(createMechanism('SCRAM-SHA-256', ctx), { hash: 'SHA-256', user: 'alice', password: 'secret-pw', authzid: 'bob@localhost' });
    assert.equal(text(other), 'failure:invalid-authzid');
  });

  it('rejects m= extensions, bad encodings and steps after the end', async () => {
    const ctx = ctxWith({});
    assert.equal(text(await createMechanism('SCRAM-SHA-256', ctx).step(buf('n,,m=ext,n=a,r=b'))), 'failure:malformed-request');
    assert.equal(text(await createMechanism('SCRAM-SHA-256', ctx).step(buf('n,,n=a=2Xb,r=b'))), 'failure:malformed-request');
    assert.equal(text(await createMechanism('SCRAM-SHA-256', ctx).step(Buffer.from([0x6e, 0x2c, 0x2c, 0xff]))), 'failure:incorrect-encoding');
    const mech = createMechanism('SCRAM-SHA-256', ctx);
    await mech.step(buf('garbage'));
    assert.equal(text(await mech.step(buf('more'))), 'failure:malformed-request');
  });
});

describe('PLAIN server', () => {
  it('verifies against the SCRAM-SHA-256 stored key', async () => {
    const alice = await accountFor('alice', 'secret-pw', { iterations: 1000 });
    const ctx = ctxWith({ alice });
    const ok = await createMechanism('PLAIN', ctx).step(buf('\0alice\0secret-pw'));
    assert.deepEqual(ok, { kind: 'success', username: 'alice' });
    assert.equal(text(await createMechanism('PLAIN', ctx).step(buf('alice@localhost\0alice\0secret-pw'))), '');
    assert.equal(text(await createMechanism('PLAIN', ctx).step(buf('\0alice\0wrong'))), 'failure:not-authorized');
    assert.equal(text(await createMechanism('PLAIN', ctx).step(buf('\0nobody\0secret-pw'))), 'failure:not-authorized');
    assert.equal(text(await createMechanism('PLAIN', ctx).step(buf('bob@localhost\0alice\0secret-pw'))), 'failure:invalid-authzid');
    assert.equal(text(await createMechanism('PLAIN', ctx).step(buf('alice\0secret-pw'))), 'failure:malformed-request');
  });

  it('makes both SCRAM credentials with their own salts', async () => {
    const scram = await makeScramCredentials('pencil');
    assert.equal(scram['SHA-1'].iterations, 4096);
    assert.equal(Buffer.from(scram['SHA-1'].storedKey, 'base64').length, 20);
    assert.equal(Buffer.from(scram['SHA-256'].storedKey, 'base64').length, 32);
    assert.notEqual(scram['SHA-1'].salt, scram['SHA-256'].salt);
  });
});
