// The smoke test's client, run in the container's network namespace (ip netns exec), as a pod next
// to it would be. Prints one JSON line with what it saw; exits non-zero on failure.
//   ready URL                     GET until 200 (bounded by SMOKE_DEADLINE_MS)
//   xmpp JID PASSWORD CA_FILE     STARTTLS on 5222 verified against CA_FILE for the JID's domain,
//                                 SASL login, bind, XEP-0199 ping, a message to itself and back
import { readFileSync } from 'node:fs';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { client, xml } from '@xmpp/client';

const deadline = Date.now() + Number(process.env.SMOKE_DEADLINE_MS ?? 30_000);
const [mode, ...args] = process.argv.slice(2);
const done = (result) => {
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
};
setTimeout(() => done({ ok: false, error: `no answer within ${process.env.SMOKE_DEADLINE_MS ?? 30_000} ms` }), Math.max(0, deadline - Date.now())).unref();

if (mode === 'ready') {
  const [url] = args;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) done({ ok: true, status: res.status, body: last.slice(4) });
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  done({ ok: false, error: `${url}: not ready, last answer ${last}` });
} else if (mode === 'xmpp') {
  const [jid, password, caFile] = args;
  const [local, domain] = jid.split('@');
  // Trust the server's certificate as a user who imported it would: the name is checked too.
  setDefaultCACertificates([...getCACertificates('default'), readFileSync(caFile, 'utf8')]);
  const xmpp = client({ service: 'xmpp://127.0.0.1:5222', domain, username: local, password, resource: 'smoke' });
  let error;
  xmpp.on('error', (e) => (error = e));
  const body = `smoke ${process.pid} ${Date.now()}`;
  const echoed = new Promise((resolve) => xmpp.on('stanza', (s) => s.is('message') && s.getChildText('body') === body && resolve(s)));
  try {
    const address = await xmpp.start();
    const secure = xmpp.isSecure();
    const pong = await xmpp.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 10_000);
    await xmpp.send(xml('message', { to: address.toString(), type: 'chat' }, xml('body', {}, body)));
    const got = await echoed;
    await xmpp.stop();
    done({ ok: true, jid: address.toString(), tls: secure, ping: pong.attrs.type, message: got.getChildText('body') === body });
  } catch (e) {
    done({ ok: false, error: String(e?.message ?? e), detail: error ? String(error.message ?? error) : undefined });
  }
} else {
  done({ ok: false, error: `unknown mode ${mode}: ready URL | xmpp JID PASSWORD CA_FILE` });
}
