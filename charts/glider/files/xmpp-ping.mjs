// helm test probe: direct TLS (XEP-0368), SASL PLAIN, bind, XEP-0199 ping. No dependencies.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const { XMPP_HOST: host, XMPP_DOMAIN: domain, XMPP_JID: jid = '', XMPP_PASSWORD: password = '', XMPP_CA_FILE: caFile } = process.env;
const fail = (why) => { console.error(`FAIL: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out after 20s'), 20_000).unref();

let buf = '';
const waiters = [];
const sock = tls.connect({ host, port: 5223, servername: domain, ca: caFile ? readFileSync(caFile) : undefined, ALPNProtocols: ['xmpp-client'] }, () => void run().catch((e) => fail(e.message)));
sock.on('error', (e) => fail(`connect ${host}:5223: ${e.message}`));
sock.on('data', (d) => {
  buf += d.toString('utf8');
  for (const w of [...waiters]) if (w.re.test(buf)) { waiters.splice(waiters.indexOf(w), 1); const m = buf.match(w.re)[0]; buf = buf.slice(buf.indexOf(m) + m.length); w.resolve(m); }
});
const until = (re) => new Promise((resolve) => { waiters.push({ re, resolve }); sock.emit('data', Buffer.alloc(0)); });
const open = () => sock.write(`<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);

async function run() {
  open();
  await until(/<\/stream:features>/);
  console.log(`TLS and stream features from ${domain}: ok`);
  if (!jid) return done();
  const user = jid.split('@')[0];
  sock.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString('base64')}</auth>`);
  const sasl = await until(/<(success|failure)[\s\S]*?(\/>|<\/(success|failure)>)/);
  if (!sasl.startsWith('<success')) fail(`login refused: ${sasl}`);
  open();
  await until(/<\/stream:features>/);
  sock.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>helm-test</resource></bind></iq>`);
  await until(/<iq[^>]*id=['"]bind1['"][^>]*type=['"]result['"]|<iq[^>]*type=['"]result['"][^>]*id=['"]bind1['"]/);
  sock.write(`<iq type='get' id='ping1' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await until(/<iq[^>]*id=['"]ping1['"][^>]*type=['"]result['"]|<iq[^>]*type=['"]result['"][^>]*id=['"]ping1['"]/);
  console.log(`logged in as ${jid} and pinged ${domain}: ok`);
  done();
}
function done() { sock.end('</stream:stream>'); process.exit(0); }
