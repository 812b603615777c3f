import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { turnSchema, type TurnConfig } from '#libs/config';
import { relayPortBlock, waitFor } from '#libs/testing';
import { decodeChannelData, encodeChannelData } from './channel-data.codec.js';
import { issueTurnCredential } from './credentials.js';
import { encodeChannelNumber, encodeXorAddress, u32, decodeXorAddress, type TransportAddress } from './stun-attributes.js';
import { Attr, Class, decodeStun, getAttr, Method } from './stun-message.codec.js';
import { errorOf, relayedOf, TurnTestClient } from './testing/turn-test-client.js';
import { startTurnServer, type TurnServer } from './turn-server.js';

const secret = 'spec-secret-spec-secret';
/** Relay ports inside the ephemeral range, away from freePort's (libs/testing). */
const relay = relayPortBlock(10_000);
const udpTransport = { type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) };
const creds = (user = 'alice', ttl = 600, now = Date.now()) => issueTurnCredential(secret, user, ttl, now);

async function server(over: Partial<TurnConfig> = {}, now?: () => number): Promise<TurnServer> {
  const cfg = turnSchema.parse({
    host: '127.0.0.1',
    udpPort: 0,
    tcpPort: 0,
    transports: ['udp', 'tcp'],
    relayPortMin: relay[0],
    relayPortMax: relay[1],
    ...over,
  });
  return startTurnServer(cfg, { secret: () => secret, realm: 'example.com', now });
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function peerSocket(): Promise<{ socket: UdpSocket; addr: TransportAddress; next(): Promise<{ data: Buffer; port: number }> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const queue: { data: Buffer; port: number }[] = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data, rinfo) => {
    queue.push({ data, port: rinfo.port });
    wake?.();
  });
  return {
    socket,
    addr: { family: 4, address: '127.0.0.1', port: socket.address().port },
    next: async () => {
      for (let i = 0; i < 100 && !queue.length; i++) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
      if (!queue.length) throw new Error('peer received nothing within 5 s');
      return queue.shift()!;
    },
  };
}

describe('TURN server (RFC 8656) with a raw client', () => {
  let srv: TurnServer;
  before(async () => {
    srv = await server({ allowedPeers: ['127.0.0.1/32'], maxAllocationsPerUser: 2 });
  });
  after(() => srv.close());

  it('answers Binding with XOR-MAPPED-ADDRESS and challenges Allocate with 401, REALM and NONCE', async () => {
    const c = await TurnTestClient.udp(srv.ports.udp!);
    try {
      const b = await c.request(Method.Binding, [], { fingerprint: true });
      assert.equal(b.cls, Class.Success);
      assert.equal(decodeXorAddress(getAttr(b, Attr.XorMappedAddress), b.transactionId)?.address, '127.0.0.1');
      assert.ok(getAttr(b, Attr.Fingerprint), 'FINGERPRINT answered with FINGERPRINT');
      const challenge = await c.request(Method.Allocate, [udpTransport]);
      assert.equal(errorOf(challenge)?.code, 401);
      assert.equal(getAttr(challenge, Attr.Realm)?.toString(), 'example.com');
      assert.ok(getAttr(challenge, Attr.Nonce));
    } finally {
      c.close();
    }
  });

  it('allocates, relays through a permission and a channel, refreshes and deletes', async () => {
    const c = await TurnTestClient.udp(srv.ports.udp!);
    const peer = await peerSocket();
    try {
      const cred = creds();
      const a = await c.authed(Method.Allocate, [udpTransport], cred);
      assert.equal(a.cls, Class.Success, JSON.stringify(errorOf(a)));
      assert.ok(c.responseIsAuthentic(a), 'success carries MESSAGE-INTEGRITY under the long-term key');
      const relayed = relayedOf(a)!;
      assert.equal(getAttr(a, Attr.Lifetime)!.readUInt32BE(0), 600);
      // no permission yet: dropped
      c.sendIndication(peer.addr, Buffer.from('dropped'));
      const none = await c.request(Method.CreatePermission, [], { sign: true, creds: cred });
      assert.equal(errorOf(none)?.code, 400, 'CreatePermission without XOR-PEER-ADDRESS');
      const again = await permit(c, cred, peer.addr);
      assert.equal(again.cls, Class.Success, JSON.stringify(errorOf(again)));
      c.sendIndication(peer.addr, Buffer.from('hello peer'));
      const got = await peer.next();
      assert.equal(got.data.toString(), 'hello peer', 'the dropped one never arrived, this one did');
      assert.equal(got.port, relayed.port);
      peer.socket.send('hello client', relayed.port, '127.0.0.1');
      const ind = decodeStun(await c.nextData())!;
      assert.equal(ind.method, Method.Data);
      assert.equal(getAttr(ind, Attr.Data)!.toString(), 'hello client');
      // channel
      const cb = await bind(c, cred, 0x4001, peer.addr);
      assert.equal(cb.cls, Class.Success, JSON.stringify(errorOf(cb)));
      c.send(encodeChannelData(0x4001, Buffer.from('via channel'), false));
      assert.equal((await peer.next()).data.toString(), 'via channel');
      peer.socket.send('back on channel', relayed.port, '127.0.0.1');
      assert.deepEqual(decodeChannelData(await c.nextData()), { channel: 0x4001, data: Buffer.from('back on channel') });
      assert.equal(errorOf(await bind(c, cred, 0x4002, peer.addr))?.code, 400, 'a peer bound to another channel');
      assert.equal(errorOf(await bind(c, cred, 0x3fff, peer.addr))?.code, 400, 'channel number out of range');
      // refresh to 0 deletes
      const r = await c.authed(Method.Refresh, [{ type: Attr.Lifetime, value: u32(0) }], cred);
      assert.equal(r.cls, Class.Success);
      assert.equal(errorOf(await c.authed(Method.Refresh, [], cred))?.code, 437);
    } finally {
      c.close();
      peer.socket.close();
    }
  });

  it('retransmitted Allocate gets the same answer; another Allocate on the 5-tuple 437; quota 486', async () => {
    const clients = [await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!)];
    try {
      const cred = creds('bob');
      const first = await clients[0]!.authed(Method.Allocate, [udpTransport], cred);
      assert.equal(first.cls, Class.Success);
      assert.deepEqual((await clients[0]!.retransmit()).raw, first.raw, 'the same success, not 437 and not a second relay port');
      assert.equal(errorOf(await clients[0]!.authed(Method.Allocate, [udpTransport], cred))?.code, 437);
      assert.equal((await clients[1]!.authed(Method.Allocate, [udpTransport], cred)).cls, Class.Success);
      assert.equal(errorOf(await clients[2]!.authed(Method.Allocate, [udpTransport], creds('bob', 900)))?.code, 486, 'same user, other credential');
      assert.equal((await clients[2]!.authed(Method.Allocate, [udpTransport], creds('carol'))).cls, Class.Success);
    } finally {
      clients.forEach((c) => c.close());
    }
  });

  it('refuses TCP relaying (442), no REQUESTED-TRANSPORT (400), wrong user on an allocation (441)', async () => {
    const c = await TurnTestClient.udp(srv.ports.udp!);
    try {
      assert.equal(errorOf(await c.authed(Method.Allocate, [{ type: Attr.RequestedTransport, value: Buffer.from([6, 0, 0, 0]) }], creds('dave')))?.code, 442);
      assert.equal(errorOf(await c.authed(Method.Allocate, [], creds('dave')))?.code, 400);
      assert.equal((await c.authed(Method.Allocate, [udpTransport], creds('dave'))).cls, Class.Success);
      assert.equal(errorOf(await c.authed(Method.Refresh, [], creds('eve')))?.code, 441);
    } finally {
      c.close();
    }
  });

  it('relays between two allocations on this relay; refuses its own listening port (403)', async () => {
    const [a, b] = [await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!)];
    try {
      const [ca, cb] = [creds('frank'), creds('gus')];
      const ra = relayedOf(await a.authed(Method.Allocate, [udpTransport], ca))!;
      const rb = relayedOf(await b.authed(Method.Allocate, [udpTransport], cb))!;
      assert.equal((await bind(a, ca, 0x4001, rb)).cls, Class.Success);
      assert.equal((await bind(b, cb, 0x4001, ra)).cls, Class.Success);
      a.send(encodeChannelData(0x4001, Buffer.from('relay to relay'), false));
      assert.deepEqual(decodeChannelData(await b.nextData()), { channel: 0x4001, data: Buffer.from('relay to relay') });
      assert.equal(errorOf(await bind(a, ca, 0x4002, { family: 4, address: '127.0.0.1', port: srv.ports.udp! }))?.code, 403);
      assert.equal(errorOf(await bind(a, ca, 0x4003, { family: 4, address: '127.0.0.1', port: srv.ports.tcp! }))?.code, 403);
    } finally {
      a.close();
      b.close();
    }
  });

  it('takes MESSAGE-INTEGRITY-SHA256 and answers with it', async () => {
    const c = await TurnTestClient.udp(srv.ports.udp!);
    try {
      const a = await c.authed(Method.Allocate, [udpTransport], creds('gina'), { sha256: true });
      assert.equal(a.cls, Class.Success);
      assert.ok(getAttr(a, Attr.MessageIntegritySha256));
      assert.ok(c.responseIsAuthentic(a));
    } finally {
      c.close();
    }
  });

  it('frames STUN and padded ChannelData on TCP even when split byte by byte', async () => {
    const c = await TurnTestClient.tcp(srv.ports.tcp!);
    const peer = await peerSocket();
    try {
      const cred = creds('hank');
      assert.equal((await c.authed(Method.Allocate, [udpTransport], cred)).cls, Class.Success);
      assert.equal((await bind(c, cred, 0x4010, peer.addr)).cls, Class.Success);
      const frame = encodeChannelData(0x4010, Buffer.from('odd'), true);
      for (const byte of frame) c.socket.write(Buffer.from([byte]));
      assert.equal((await peer.next()).data.toString(), 'odd');
      c.socket.write(Buffer.from([0xc0, 0, 0, 0])); // neither STUN nor ChannelData: the stream ends
      await new Promise<void>((resolve) => c.socket.once('close', () => resolve()));
    } finally {
      c.close();
      peer.socket.close();
    }
  });

  it('survives garbage datagrams', async () => {
    const s = createSocket('udp4');
    try {
      for (let i = 0; i < 500; i++) {
        const junk = randomBytes(1 + (i % 200));
        if (i % 2 && junk.length >= 20) junk.writeUInt32BE(0x2112a442, 4); // STUN-looking: cookie set, rest random
        s.send(junk, srv.ports.udp, '127.0.0.1');
      }
      const c = await TurnTestClient.udp(srv.ports.udp!);
      try {
        assert.equal((await c.request(Method.Binding, [])).cls, Class.Success, 'still answering');
      } finally {
        c.close();
      }
    } finally {
      s.close();
    }
  });
});

describe('TURN allocation quotas', () => {
  it('drops what goes over the bandwidth limit and the byte quota, and counts it', async () => {
    const srv = await server({ allowedPeers: ['127.0.0.1/32'], bandwidthBytesPerSecond: 1000, bandwidthBurstBytes: 2000, maxBytesPerAllocation: 1200 });
    const c = await TurnTestClient.udp(srv.ports.udp!);
    const peer = await peerSocket();
    try {
      const cred = creds();
      assert.equal((await c.authed(Method.Allocate, [udpTransport], cred)).cls, Class.Success);
      assert.equal((await bind(c, cred, 0x4001, peer.addr)).cls, Class.Success);
      for (let i = 0; i < 10; i++) c.send(encodeChannelData(0x4001, Buffer.alloc(500, i), false));
      await waitFor(() => srv.stats().relayedPackets + srv.stats().droppedPackets === 10, { what: 'all 10 datagrams judged' });
      // 1200 bytes over the allocation's life: two 500-byte datagrams, the rest dropped
      assert.deepEqual([srv.stats().relayedPackets, srv.stats().droppedPackets], [2, 8]);
      assert.equal((await peer.next()).data[0], 0);
      assert.equal((await peer.next()).data[0], 1);
    } finally {
      c.close();
      peer.socket.close();
      await srv.close();
    }
  });
});

describe('TURN lifetimes and capacity', () => {
  it('answers 508 when the relay port range is used up, and frees the port when the allocation is deleted', async () => {
    const port = await freeUdpPort(); // a range of one port that is free now: other processes share this machine
    const srv = await server({ relayPortMin: port, relayPortMax: port });
    const clients = [await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!)];
    try {
      const cs = [creds('a1'), creds('a2'), creds('a3')];
      assert.equal(relayedOf(await clients[0]!.authed(Method.Allocate, [udpTransport], cs[0]!))?.port, port);
      assert.equal(errorOf(await clients[1]!.authed(Method.Allocate, [udpTransport], cs[1]!))?.code, 508);
      assert.equal((await clients[0]!.authed(Method.Refresh, [{ type: Attr.Lifetime, value: u32(0) }], cs[0]!)).cls, Class.Success);
      assert.equal(relayedOf(await clients[2]!.authed(Method.Allocate, [udpTransport], cs[2]!))?.port, port, 'the freed port serves again');
    } finally {
      clients.forEach((c) => c.close());
      await srv.close();
    }
  });

  it('EVEN-PORT with the R bit: an even port, and the next one reserved for its RESERVATION-TOKEN (once)', async () => {
    const srv = await server();
    const clients = [await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!)];
    try {
      const first = await clients[0]!.authed(Method.Allocate, [udpTransport, { type: Attr.EvenPort, value: Buffer.from([0x80]) }], creds('r1'));
      const rtp = relayedOf(first)!;
      assert.equal(rtp.port % 2, 0);
      const token = getAttr(first, Attr.ReservationToken)!;
      assert.equal(token.length, 8);
      const second = await clients[1]!.authed(Method.Allocate, [udpTransport, { type: Attr.ReservationToken, value: token }], creds('r1'));
      assert.equal(relayedOf(second)!.port, rtp.port + 1);
      assert.equal(errorOf(await clients[2]!.authed(Method.Allocate, [udpTransport, { type: Attr.ReservationToken, value: token }], creds('r1')))?.code, 508);
    } finally {
      clients.forEach((c) => c.close());
      await srv.close();
    }
  });

  it('answers 508 past maxAllocations', async () => {
    const srv = await server({ maxAllocations: 1 });
    const [a, b] = [await TurnTestClient.udp(srv.ports.udp!), await TurnTestClient.udp(srv.ports.udp!)];
    try {
      assert.equal((await a.authed(Method.Allocate, [udpTransport], creds('b1'))).cls, Class.Success);
      assert.equal(errorOf(await b.authed(Method.Allocate, [udpTransport], creds('b2')))?.code, 508);
    } finally {
      a.close();
      b.close();
      await srv.close();
    }
  });

  it('an allocation not refreshed expires; a permission not refreshed stops letting data through', async () => {
    let clock = Date.now();
    const srv = await server({ allowedPeers: ['127.0.0.1/32'], allocationLifetimeSec: 1, maxAllocationLifetimeSec: 1 }, () => clock);
    const c = await TurnTestClient.udp(srv.ports.udp!);
    const peer = await peerSocket();
    try {
      const cred = creds('c1', 600, clock);
      const relayed = relayedOf(await c.authed(Method.Allocate, [udpTransport], cred))!;
      assert.equal((await permit(c, cred, peer.addr)).cls, Class.Success);
      c.sendIndication(peer.addr, Buffer.from('within 300 s'));
      assert.equal((await peer.next()).data.toString(), 'within 300 s');
      clock += 301_000; // permissions last 300 s (RFC 8656 §9)
      c.sendIndication(peer.addr, Buffer.from('after'));
      peer.socket.send('from the peer, after', relayed.port, '127.0.0.1');
      await waitFor(() => srv.stats().droppedPackets === 2, { what: 'both directions dropped without a permission' });
      await waitFor(() => srv.stats().allocations === 0, { what: 'the 1 s allocation to expire', timeoutMs: 10_000 });
      assert.equal(srv.stats().allocationsEnded, 1);
    } finally {
      c.close();
      peer.socket.close();
      await srv.close();
    }
  });
});

describe('TURN over TCP: idle connections', () => {
  it('closes a connection left silent after its allocation expired', async () => {
    const srv = await server({ idleTimeoutSec: 1, allocationLifetimeSec: 2, maxAllocationLifetimeSec: 2 });
    const c = await TurnTestClient.tcp(srv.ports.tcp!, '127.0.0.1', 10_000);
    try {
      let closed = false;
      c.socket.once('close', () => (closed = true));
      assert.equal((await c.authed(Method.Allocate, [udpTransport], creds('e1'))).cls, Class.Success);
      // idle at 1 s with the allocation alive; the allocation ends at 2 s; the next idle check closes
      await waitFor(() => closed, { what: 'the server to close the idle connection', timeoutMs: 10_000 });
      assert.equal(srv.stats().allocations, 0);
    } finally {
      c.close();
      await srv.close();
    }
  });
});

describe('TURN peer datagrams', () => {
  it('drops a datagram too large for a Data indication and keeps serving', async () => {
    const srv = await server({ allowedPeers: ['127.0.0.1/32'], bandwidthBytesPerSecond: 0 });
    const c = await TurnTestClient.udp(srv.ports.udp!);
    const peer = await peerSocket();
    try {
      const cred = creds('f1');
      const relayed = relayedOf(await c.authed(Method.Allocate, [udpTransport], cred))!;
      assert.equal((await permit(c, cred, peer.addr)).cls, Class.Success);
      peer.socket.send(Buffer.alloc(65_500), relayed.port, '127.0.0.1'); // the most IPv4 UDP carries (65,507)
      await waitFor(() => srv.stats().droppedPackets === 1, { what: 'the oversized datagram dropped' });
      peer.socket.send('small', relayed.port, '127.0.0.1');
      assert.equal(getAttr(decodeStun(await c.nextData())!, Attr.Data)!.toString(), 'small');
    } finally {
      c.close();
      peer.socket.close();
      await srv.close();
    }
  });
});

describe('TURN send failures', () => {
  it('a datagram the kernel refuses to send is one drop, not the end of the allocation', async () => {
    const srv = await server(); // relay bound to 127.0.0.1: the kernel refuses to send to 8.8.8.8 from it (EINVAL)
    const c = await TurnTestClient.udp(srv.ports.udp!);
    try {
      const cred = creds('d1');
      assert.equal((await c.authed(Method.Allocate, [udpTransport], cred)).cls, Class.Success);
      const publicPeer: TransportAddress = { family: 4, address: '8.8.8.8', port: 9 };
      assert.equal((await permit(c, cred, publicPeer)).cls, Class.Success);
      c.sendIndication(publicPeer, Buffer.from('unroutable from loopback'));
      await waitFor(() => srv.stats().droppedPackets === 1, { what: 'the failed send counted' });
      assert.equal(srv.stats().allocations, 1);
      assert.equal((await c.authed(Method.Refresh, [], cred)).cls, Class.Success, 'the allocation lives on');
    } finally {
      c.close();
      await srv.close();
    }
  });
});

describe('TURN server refusals', () => {
  it('refuses loopback and RFC 1918 peers by default with 403', async () => {
    const srv = await server();
    const c = await TurnTestClient.udp(srv.ports.udp!);
    try {
      const cred = creds();
      assert.equal((await c.authed(Method.Allocate, [udpTransport], cred)).cls, Class.Success);
      // the relay binds 127.0.0.1 here: that address is its own, so only its relay ports are peers
      assert.equal(errorOf(await bind(c, cred, 0x4001, { family: 4, address: '127.0.0.1', port: 3480 }))?.code, 403, '127.0.0.1:3480');
      for (const address of ['127.0.0.2', '10.1.2.3', '192.168.1.1', '172.16.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '100.64.0.1']) {
        assert.equal(errorOf(await permit(c, cred, { family: 4, address, port: 3480 }))?.code, 403, address);
      }
      assert.equal((await permit(c, cred, { family: 4, address: '8.8.8.8', port: 3480 })).cls, Class.Success, 'a public address is fine');
    } finally {
      c.close();
      await srv.close();
    }
  });

  it('refuses expired credentials and wrong passwords (401), stale nonces (438)', async () => {
    let clock = Date.now();
    const srv = await server({ nonceLifetimeSec: 60 }, () => clock);
    const c = await TurnTestClient.udp(srv.ports.udp!);
    try {
      const expired = creds('ivan', 60, clock - 120_000);
      assert.equal(errorOf(await c.authed(Method.Allocate, [udpTransport], expired))?.code, 401);
      const good = creds('ivan', 3600, clock);
      assert.equal(errorOf(await c.authed(Method.Allocate, [udpTransport], { username: good.username, password: 'not-it' }))?.code, 401);
      clock += 61_000; // the nonce from the first challenge is now stale
      const stale = await c.request(Method.Allocate, [udpTransport], { sign: true, creds: good });
      assert.equal(errorOf(stale)?.code, 438);
      assert.notEqual(getAttr(stale, Attr.Nonce)?.toString(), c.nonce, 'a fresh nonce comes with 438');
      assert.equal((await c.authed(Method.Allocate, [udpTransport], good)).cls, Class.Success, 'the client retries with the new nonce');
    } finally {
      c.close();
      await srv.close();
    }
  });
});

function permit(c: TurnTestClient, cred: { username: string; password: string }, peer: TransportAddress) {
  return c.authed(Method.CreatePermission, (t) => [{ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, t) }], cred);
}

function bind(c: TurnTestClient, cred: { username: string; password: string }, channel: number, peer: TransportAddress) {
  return c.authed(
    Method.ChannelBind,
    (t) => [
      { type: Attr.ChannelNumber, value: encodeChannelNumber(channel) },
      { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, t) },
    ],
    cred,
  );
}
