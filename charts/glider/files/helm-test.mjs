// `helm test`: an XMPP round trip as a user would make it, run by the Glider app image's own Node.
//  1. makes a throwaway account with the image's gliderctl against the admin API (the router's
//     ClusterIP Service <cluster>-admin:5582, TLS verified with the cluster CA, the admin token);
//  2. logs in over direct TLS (XEP-0368) to the edge Service, certificate verified for the domain:
//     SASL SCRAM-SHA-256 (RFC 5802/7677, the server's signature checked) or PLAIN when that is all
//     it offers (RFC 6120 §6), resource binding (§7);
//  3. sends a message to its own full JID and waits for it (RFC 6121 §8.5.4: delivered to that
//     resource), and an XEP-0199 ping to the domain;
//  4. deletes the account, also when a step failed.
// Env: ADMIN_SERVER (host:port), ADMIN_TLS_SERVER_NAME (optional), TOKEN_FILE, CA_FILE (optional:
// else the system CAs), XMPP_HOST, XMPP_PORT (5223), XMPP_DOMAIN, TEST_TIMEOUT_SECONDS (60),
// GLIDERCTL (dist/apps/gliderctl/src/main.js, relative to the image's /app). No dependencies.
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import tls from 'node:tls';

const env = process.env;
const need = (k) => env[k] || fail(`${k} is not set`);
const domain = need('XMPP_DOMAIN');
const timeoutMs = Number(env.TEST_TIMEOUT_SECONDS || 60) * 1000;
const caFile = env.CA_FILE && existsSync(env.CA_FILE) ? env.CA_FILE : undefined;
const local = `helm-test-${randomBytes(5).toString('hex')}`;
const jid = `${local}@${domain}`;
const password = randomBytes(18).toString('base64url');
let created = false;

function fail(why) {
  console.error(`FAIL: ${why}`);
  cleanup();
  process.exit(1);
}
setTimeout(() => fail(`timed out after ${timeoutMs / 1000} s`), timeoutMs).unref();

function gliderctl(args, input) {
  const flags = ['--server', need('ADMIN_SERVER'), '--tls', '--token-file', need('TOKEN_FILE'), '--timeout', '15000'];
  if (caFile) flags.push('--ca', caFile);
  if (env.ADMIN_TLS_SERVER_NAME) flags.push('--tls-server-name', env.ADMIN_TLS_SERVER_NAME);
  return spawnSync(process.execPath, [env.GLIDERCTL || 'dist/apps/gliderctl/src/main.js', ...flags, ...args], { input, encoding: 'utf8', timeout: 30_000 });
}

function cleanup() {
  if (!created) return;
  created = false;
  const r = gliderctl(['user', 'del', jid]);
  console.log(r.status === 0 ? `deleted ${jid}` : `could not delete ${jid}: ${r.stderr || r.stdout}`);
}

// --- a minimal XMPP stream over TLS --------------------------------------------------------------
let buf = '';
const waiters = [];
let sock;
const feed = () => {
  for (const w of [...waiters]) {
    const m = buf.match(w.re);
    if (m) {
      waiters.splice(waiters.indexOf(w), 1);
      buf = buf.slice(m.index + m[0].length);
      w.resolve(m);
    }
  }
};
const until = (re) => new Promise((resolve) => (waiters.push({ re, resolve }), feed()));
const send = (s) => sock.write(s);
const open = () =>
  send(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
const attr = (el, name) => el.match(new RegExp(`\\s${name}=(['"])(.*?)\\1`))?.[2];
const resultOf = (id) => new RegExp(`<iq(?=[^>]*\\sid=['"]${id}['"])[^>]*>[\\s\\S]*?</iq>|<iq(?=[^>]*\\sid=['"]${id}['"])[^>]*/>`);
const b64 = (s) => Buffer.from(s).toString('base64');

async function scramSha256() {
  const cnonce = randomBytes(18).toString('base64');
  const first = `n=${local},r=${cnonce}`;
  send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${b64(`n,,${first}`)}</auth>`);
  const [challenge] = await until(/<challenge[^>]*>[^<]*<\/challenge>|<failure[\s\S]*?<\/failure>/);
  if (!challenge.startsWith('<challenge')) fail(`login refused: ${challenge}`);
  const serverFirst = Buffer.from(challenge.replace(/<[^>]+>/g, ''), 'base64').toString();
  const f = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  if (!f.r?.startsWith(cnonce)) fail('SCRAM: the server nonce does not extend ours');
  const salted = pbkdf2Sync(password, Buffer.from(f.s, 'base64'), Number(f.i), 32, 'sha256');
  const hmac = (key, s) => createHmac('sha256', key).update(s).digest();
  const clientKey = hmac(salted, 'Client Key');
  const withoutProof = `c=${b64('n,,')},r=${f.r}`;
  const authMessage = `${first},${serverFirst},${withoutProof}`;
  const signature = hmac(createHash('sha256').update(clientKey).digest(), authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64(`${withoutProof},p=${proof.toString('base64')}`)}</response>`);
  const [outcome] = await until(/<success[^>]*\/>|<success[^>]*>[^<]*<\/success>|<failure[\s\S]*?<\/failure>/);
  if (!outcome.startsWith('<success')) fail(`login refused: ${outcome}`);
  const v = Buffer.from(outcome.replace(/<[^>]+>/g, ''), 'base64')
    .toString()
    .match(/(?:^|,)v=([^,]+)/)?.[1];
  const expected = hmac(hmac(salted, 'Server Key'), authMessage);
  if (!v || !timingSafeEqual(Buffer.from(v, 'base64'), expected)) fail('SCRAM: the server signature is wrong: not the server that holds the password');
}

async function plain() {
  send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64(`\0${local}\0${password}`)}</auth>`);
  const [outcome] = await until(/<success[^>]*\/>|<success[^>]*>[^<]*<\/success>|<failure[\s\S]*?<\/failure>/);
  if (!outcome.startsWith('<success')) fail(`login refused: ${outcome}`);
}

async function run() {
  open();
  const [features] = await until(/<stream:features[\s\S]*?<\/stream:features>/);
  const mechanisms = [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]);
  if (mechanisms.includes('SCRAM-SHA-256')) await scramSha256();
  else if (mechanisms.includes('PLAIN')) await plain();
  else fail(`no SASL mechanism this test speaks (SCRAM-SHA-256, PLAIN) among ${mechanisms.join(', ')}`);
  const mechanism = mechanisms.includes('SCRAM-SHA-256') ? 'SCRAM-SHA-256' : 'PLAIN';
  console.log(`logged in as ${jid} (${mechanism})`);
  open();
  await until(/<stream:features[\s\S]*?<\/stream:features>/);
  send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>helm-test</resource></bind></iq>`);
  const [bound] = await until(resultOf('bind1'));
  const full = bound.match(/<jid>([^<]+)<\/jid>/)?.[1];
  if (attr(bound, 'type') !== 'result' || !full) fail(`bind failed: ${bound}`);
  const body = `helm test ${randomBytes(8).toString('hex')}`;
  send(`<message to='${full}' type='chat' id='m1'><body>${body}</body></message>`);
  const [echo] = await until(new RegExp(`<message[^>]*>[\\s\\S]*?<body>${body}</body>[\\s\\S]*?</message>`));
  if (attr(echo, 'from') !== full) fail(`the message came back from ${attr(echo, 'from')}, not ${full}`);
  console.log(`message to ${full} delivered back`);
  send(`<iq type='get' id='ping1' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  const [pong] = await until(resultOf('ping1'));
  if (attr(pong, 'type') !== 'result') fail(`ping answered ${pong}`);
  console.log(`pinged ${domain}`);
  send('</stream:stream>');
  sock.end();
  cleanup();
  console.log('helm test passed');
  process.exit(0);
}

const made = gliderctl(['user', 'add', jid], `${password}\n`);
if (made.status !== 0) fail(`gliderctl user add ${jid} against ${env.ADMIN_SERVER}: ${(made.stderr || made.stdout || made.error?.message || '').trim()}`);
created = true;
console.log(`created ${jid} through the admin API at ${env.ADMIN_SERVER}`);
const host = need('XMPP_HOST');
const port = Number(env.XMPP_PORT || 5223);
sock = tls.connect({ host, port, servername: domain, ca: caFile ? readFileSync(caFile) : undefined, ALPNProtocols: ['xmpp-client'] }, () => {
  console.log(`direct TLS to ${host}:${port}, certificate valid for ${domain}`);
  run().catch((e) => fail(e.message));
});
sock.on('error', (e) => fail(`${host}:${port}: ${e.message}`));
sock.on('data', (d) => {
  buf += d.toString('utf8');
  feed();
});
sock.on('close', () => fail(`the server closed the stream; last data: ${buf.slice(-300)}`));
