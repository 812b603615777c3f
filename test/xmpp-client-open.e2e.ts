// The test harness's xmpp.js client (test/harness/xmpp-client.ts) against the ordering a busy
// machine produces: the server's stream header parsed before the client's own header write has
// called back. xmpp.js 0.14's open() misses that header and times out on a stream that is up.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { client as xmppClient, type Client } from '@xmpp/client';
import { freePort } from '#libs/testing';
import { listenBeforeOpening, stopReconnecting, type XmppElement } from './harness/xmpp-client.js';

const SERVER_HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>";

/** A client whose header write calls back only after the server's header was parsed ('open'). */
function lateWriteCallbacks(xmpp: Client): void {
  const c = xmpp as unknown as { write(s: string): Promise<void>; once(e: string, f: () => void): void };
  const write = c.write.bind(c);
  c.write = (s) =>
    new Promise((resolve, reject) => {
      c.once('open', () => setImmediate(resolve));
      write(s).catch(reject);
    });
}

describe('xmpp.js stream opening when the server answers before the write calls back', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    port = await freePort();
    server = createServer((socket) => socket.once('data', () => socket.write(SERVER_HEADER)));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const open = async (fixed: boolean): Promise<XmppElement> => {
    const xmpp = xmppClient({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', timeout: 2_000 });
    if (fixed) listenBeforeOpening(xmpp);
    lateWriteCallbacks(xmpp);
    const c = xmpp as unknown as { connect(s: string): Promise<void>; open(o: { domain: string }): Promise<XmppElement>; socket?: { destroy(): void } };
    try {
      await c.connect(`xmpp://127.0.0.1:${port}`);
      return await c.open({ domain: 'localhost' });
    } finally {
      stopReconnecting(xmpp); // else xmpp.js opens the stream again after the socket closes, forever
      c.socket?.destroy();
    }
  };

  it("the harness's client opens: it listens for the server's header before it writes its own", async () => {
    const header = await open(true);
    assert.equal(header.attrs.id, 's1');
  });

  it('xmpp.js 0.14 alone times out (when this fails, xmpp.js fixed it: drop listenBeforeOpening)', async () => {
    await assert.rejects(open(false), { name: 'TimeoutError' });
  });
});
