import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { relay, type RelayEnd } from './relay.js';

/** Two client sockets and the server-side sockets the relay gets, as the proxy has them. */
async function pairOfConnections(): Promise<{ clients: [Socket, Socket]; server: [Socket, Socket]; close: () => void }> {
  const accepted: Socket[] = [];
  const srv = createServer({ allowHalfOpen: true }, (s) => accepted.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  const c1 = connect({ port, host: '127.0.0.1' });
  await once(c1, 'connect');
  while (accepted.length < 1) await once(srv, 'connection');
  const c2 = connect({ port, host: '127.0.0.1' });
  await once(c2, 'connect');
  while (accepted.length < 2) await once(srv, 'connection');
  for (const s of [c1, c2, ...accepted]) s.on('error', () => undefined);
  return { clients: [c1, c2], server: [accepted[0]!, accepted[1]!], close: () => srv.close() };
}

test('a receiver that does not read pauses the sender side: the relay buffers at most one write', { timeout: 30_000 }, async () => {
  const { clients, server, close } = await pairOfConnections();
  const [sender, receiver] = clients;
  const [fromSender, toReceiver] = server;
  receiver.pause();
  let end: RelayEnd | undefined;
  relay(fromSender, toReceiver, Buffer.alloc(0), Buffer.alloc(0), { maxBytes: Number.MAX_SAFE_INTEGER, idleTimeoutMs: 30_000 }, (why) => (end = why));
  const file = randomBytes(32 * 1024 * 1024);
  const paused = once(fromSender, 'pause');
  sender.end(file);
  await paused;
  // Paused at the first write the receiver's side refused: what the relay holds is that write at most.
  assert.ok(toReceiver.writableLength <= toReceiver.writableHighWaterMark + 64 * 1024, `${toReceiver.writableLength} bytes held`);
  assert.ok(sender.writableLength > 0, 'the sender is held back too: it still has bytes it could not send');
  const h = createHash('sha256');
  let size = 0;
  receiver.on('data', (c: Buffer) => {
    h.update(c);
    size += c.length;
  });
  const ended = once(receiver, 'end');
  receiver.resume();
  await ended;
  assert.equal(size, file.length);
  assert.equal(h.digest('hex'), createHash('sha256').update(file).digest('hex'));
  receiver.end();
  await once(toReceiver, 'close');
  assert.equal(end, 'closed');
  close();
});

test('bytes either side sent before activation are delivered first, in order', { timeout: 30_000 }, async () => {
  const { clients, server, close } = await pairOfConnections();
  const [a, b] = clients;
  relay(server[0], server[1], Buffer.from('early-a:'), Buffer.from('early-b:'), { maxBytes: 1024, idleTimeoutMs: 30_000 }, () => undefined);
  const atB = once(b, 'data');
  a.write('then-a');
  const first = String((await atB)[0]);
  assert.ok(first.startsWith('early-a:'), first);
  const atA = once(a, 'data');
  b.write('then-b');
  assert.ok(String((await atA)[0]).startsWith('early-b:'));
  a.destroy();
  b.destroy();
  close();
});

test('a side that closed before activation ends the relay at once, resetting the other', { timeout: 30_000 }, async () => {
  const { clients, server, close } = await pairOfConnections();
  server[0].destroy();
  let end: RelayEnd | undefined;
  const otherClosed = new Promise((resolve) => clients[1].once('close', resolve));
  relay(server[0], server[1], Buffer.alloc(0), Buffer.alloc(0), { maxBytes: 1024, idleTimeoutMs: 30_000 }, (why) => (end = why));
  assert.equal(end, 'error');
  await otherClosed;
  close();
});
