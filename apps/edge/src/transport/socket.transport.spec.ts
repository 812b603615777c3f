import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { SocketTransport } from './socket.transport.js';

test('turns Nagle off on every accepted socket, so back-to-back replies do not wait for a delayed ACK', async () => {
  const calls: (boolean | undefined)[] = [];
  let transport: SocketTransport | undefined;
  const server = createServer((socket: Socket) => {
    const setNoDelay = socket.setNoDelay.bind(socket);
    socket.setNoDelay = (noDelay?: boolean) => {
      calls.push(noDelay);
      return setNoDelay(noDelay);
    };
    transport = new SocketTransport(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    const got = new Promise<string>((resolve) => client.once('data', (d) => resolve(d.toString())));
    await new Promise<void>((resolve) => client.once('connect', resolve));
    while (!transport) await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, [true]);
    transport.write('<a/>');
    transport.write('<b/>');
    assert.equal(await got, '<a/><b/>', 'one tick of writes leaves together');
  } finally {
    client.destroy();
    transport?.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('STARTTLS leaves no handshake listeners on the TLS socket once it is secure', async () => {
  const { generateSelfSigned } = await import('#libs/tls');
  const { createSecureContext, connect: tlsConnect } = await import('node:tls');
  const { key, cert } = await generateSelfSigned(['localhost']);
  let transport: SocketTransport | undefined;
  const server = createServer((socket: Socket) => {
    transport = new SocketTransport(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const plain = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    await new Promise<void>((resolve) => plain.once('connect', resolve));
    while (!transport) await new Promise((r) => setImmediate(r));
    const secured = transport.startTls(createSecureContext({ key, cert }));
    const client = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
    client.on('error', () => undefined);
    await secured;
    const tls = (transport as unknown as { socket: Socket }).socket;
    // The handshake's listeners (they settle the promise) are gone; attach()'s still report the close.
    const handshake = (ev: string) => tls.listeners(ev).filter((fn) => /resolve|reject|settle/.test(String(fn))).length;
    assert.deepEqual({ secure: handshake('secure'), close: handshake('close'), error: handshake('error') }, { secure: 0, close: 0, error: 0 });
    const closed = new Promise<void>((resolve) => transport!.onClose(resolve));
    client.destroy();
    await closed; // the transport still reports the close
  } finally {
    plain.destroy();
    transport?.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
