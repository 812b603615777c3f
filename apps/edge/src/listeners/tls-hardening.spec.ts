import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { freePort, tempDir, type TempDir } from '#libs/testing';
import { makeTestPki } from '#libs/tls';
import { startEdge, type EdgeHarness } from '../testing/edge-harness.js';

/** openssl s_client against the edge; resolves with everything it printed (it exits on stdin's end). */
function sClient(args: string[], input = ''): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', ...args], { timeout: 20_000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
    child.stdin!.end(input);
  });
}

/** TLS policy of every listener (libs/tls serverTlsPolicy) and OCSP stapling; docs/security.md. */
describe('TLS: AEAD suites only, server order, no renegotiation, OCSP stapled', () => {
  let h: EdgeHarness;
  let dir: TempDir;
  let responder: ChildProcess;
  let target: string;
  before(async () => {
    dir = tempDir('glider-tls-');
    const pki = makeTestPki(dir.path, await freePort());
    responder = await pki.startResponder();
    h = await startEdge({ tls: { certFile: pki.chainFile, keyFile: pki.keyFile, watch: false } });
    target = `127.0.0.1:${h.edge.ports.directTls}`;
  });
  after(async () => {
    await h.stop();
    responder.kill();
    dir.remove();
  });

  for (const cipher of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'AES128-SHA']) {
    test(`TLS 1.2 with the CBC suite ${cipher} is refused`, async () => {
      const out = await sClient(['-connect', target, '-tls1_2', '-cipher', cipher, '-servername', 'localhost']);
      assert.match(out, /Cipher is \(NONE\)|handshake failure|no shared cipher|no cipher/i, out);
    });
  }

  test('TLS 1.2 with ECDHE and AES-GCM works, and the server picks its own preference', async () => {
    const out = await sClient([
      '-connect',
      target,
      '-tls1_2',
      '-cipher',
      'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256',
      '-servername',
      'localhost',
    ]);
    assert.match(out, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/, out);
  });

  test('a client-initiated renegotiation is refused', async () => {
    const socket: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port: h.edge.ports.directTls,
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: false,
      ALPNProtocols: ['xmpp-client'],
    });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    socket.on('error', () => undefined);
    const outcome = await new Promise<string>((resolve) => {
      const ok = socket.renegotiate({ rejectUnauthorized: false }, (err) => resolve(err ? `refused: ${err.message}` : 'renegotiated'));
      if (!ok) resolve('refused: not started');
      socket.once('close', () => resolve('refused: closed'));
    });
    socket.destroy();
    assert.match(outcome, /^refused/);
  });

  test('openssl s_client -status shows the stapled OCSP response, on direct TLS and after STARTTLS', async () => {
    const direct = await sClient(['-connect', target, '-status', '-servername', 'localhost']);
    assert.match(direct, /OCSP Response Status: successful/, direct);
    assert.match(direct, /Cert Status: good/, direct);
    const starttls = await sClient([
      '-connect',
      `127.0.0.1:${h.edge.ports.c2s}`,
      '-starttls',
      'xmpp',
      '-xmpphost',
      'example.test',
      '-status',
      '-servername',
      'localhost',
    ]);
    assert.match(starttls, /OCSP Response Status: successful/, starttls);
  });
});
