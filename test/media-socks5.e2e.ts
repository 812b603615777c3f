import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '#libs/testing';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { slixmppTransfer, socks5ByteLimitScenario, socks5Env, socks5RefusalsScenario } from './scenarios/socks5.scenario.js';

// Its own file (own process): the test process trusts one deployment's self-signed certificate.
describe('media-relay in standalone: the XEP-0065 SOCKS5 proxy on proxy.localhost', () => {
  let d: Deployment;
  let port: number;
  before(async () => {
    port = await freePort();
    d = await startStandalone({ GLIDER_MEDIA__ENABLED: 'true', GLIDER_MEDIA__UPLOAD__PORT: String(await freePort()), ...socks5Env(port) });
  });
  after(async () => {
    await d?.stop();
  });

  it('two slixmpp clients transfer 10 MB through the proxy they discovered; checksums match', async () => {
    const r = await slixmppTransfer(d, 'st');
    assert.deepEqual(r.proxies, { 'proxy.localhost': ['127.0.0.1', String(port)] });
    // Every byte crossed the proxy: its relayed-bytes counter holds at least the file.
    const metrics = await (await fetch(`http://127.0.0.1:${d.processes[0]!.httpPort}/metrics`)).text();
    const relayed = Number(/^glider_media_socks5_relayed_bytes_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1]);
    assert.ok(relayed >= 10 * 1024 * 1024, `glider_media_socks5_relayed_bytes_total ${relayed}`);
  });

  it('refuses an unknown stream, early activation, a stranger, a third connection; enforces per-user and per-replica limits', async () => {
    await socks5RefusalsScenario(d, 'st', [port]);
  });

  it('cuts a transfer past maxBytesPerTransfer', async () => {
    await socks5ByteLimitScenario(d, 'st', [port]);
  });
});
