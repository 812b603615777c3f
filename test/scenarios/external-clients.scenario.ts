import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goSendxmpp, slixmpp } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml } from '../harness/xmpp-client.js';

/**
 * Independent clients against the deployment: slixmpp (Python) chats with an xmpp.js user both
 * ways over STARTTLS; go-sendxmpp (Go) sends over STARTTLS and over direct TLS.
 */
export async function externalClientsScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const certDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
  const caFile = join(certDir, 'ca.pem');
  (await import('node:fs')).writeFileSync(caFile, d.certPem());
  const carol = `carol-${tag}@${d.domain}`;
  const dave = `dave-${tag}@${d.domain}`;
  const erin = `erin-${tag}@${d.domain}`;
  await addUser(carol, 'carol-password', d.adminPort);
  await addUser(dave, 'dave-password', d.adminPort);
  await addUser(erin, 'erin-password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const c = await connect(`xmpp://${first.host}:${first.c2sPort}`, `carol-${tag}`, 'carol-password', 'desk');
  try {
    await c.send(xml('presence'));

    // slixmpp → xmpp.js
    const sent = await slixmpp([
      '--jid',
      `${dave}/slix`,
      '--password',
      'dave-password',
      '--port',
      String(last.c2sPort),
      '--ca',
      caFile,
      '--send-to',
      c.jid,
      '--send-body',
      'hi from slixmpp',
    ]);
    assert.equal(sent.code, 0, `slixmpp send failed: ${sent.stdout} ${sent.stderr}`);
    const got = await c.waitFor('slixmpp message', isMessageWithBody('hi from slixmpp'));
    assert.equal(got.attrs.from, `${dave}/slix`);

    // xmpp.js → slixmpp: slixmpp waits for a message that carol sends once it is online.
    const waiting = slixmpp([
      '--jid',
      `${dave}/slix2`,
      '--password',
      'dave-password',
      '--port',
      String(last.directTlsPort),
      '--direct-tls',
      '--ca',
      caFile,
      '--expect-body',
      'hi slixmpp',
    ]);
    let result: Awaited<typeof waiting> | undefined;
    void waiting.then((r) => (result = r));
    for (let i = 0; i < 100 && !result; i++) {
      await c.send(xml('message', { to: `${dave}/slix2`, type: 'chat' }, xml('body', {}, 'hi slixmpp')));
      await new Promise((r) => setTimeout(r, 200));
    }
    const r = await waiting;
    assert.equal(r.code, 0, `slixmpp did not receive: ${r.stdout} ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout.trim().split('\n').at(-1)!).received.from, c.jid);

    // go-sendxmpp over STARTTLS and over direct TLS.
    for (const directTls of [false, true]) {
      const body = `go-sendxmpp ${directTls ? 'direct TLS' : 'STARTTLS'}`;
      const g = await goSendxmpp({
        jid: erin,
        password: 'erin-password',
        host: last.host,
        port: directTls ? last.directTlsPort : last.c2sPort,
        directTls,
        certPem: d.certPem(),
        certDir,
        to: carol,
        body,
      });
      assert.equal(g.code, 0, `go-sendxmpp failed: ${g.stdout} ${g.stderr}`);
      const m = await c.waitFor(body, isMessageWithBody(body));
      assert.ok(m.attrs.from?.startsWith(`${erin}/`));
    }
  } finally {
    await c.stop();
  }
}
