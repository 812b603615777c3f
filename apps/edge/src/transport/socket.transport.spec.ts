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
