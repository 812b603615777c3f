import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCoturn, type Coturn } from '#libs/testing';
import { echoPeer, runRelayLoad } from './relay-load.js';
import { decode, readXorAddress, xorAddress } from './stun-wire.js';

const SECRET = 'bench-spec-secret-0123456789';
let coturn: Coturn;
before(async () => {
  coturn = await startCoturn({ secret: SECRET });
});
after(() => coturn?.stop());

test('XOR addresses round-trip and garbage is not a STUN message', () => {
  assert.deepEqual(readXorAddress(xorAddress('192.0.2.33', 49152)), { ip: '192.0.2.33', port: 49152 });
  assert.equal(decode(Buffer.from('not stun at all, twenty+ bytes')), undefined);
});

test("the benchmark's TURN client allocates, binds a channel and relays through coturn (an independent server)", async () => {
  const peer = await echoPeer();
  try {
    const r = await runRelayLoad({ allocations: 2, window: 4, payloadBytes: 200, durationMs: 10_000, maxRoundTrips: 500 }, peer, {
      server: { host: '127.0.0.1', port: coturn.port, secret: SECRET },
      pid: coturn.pid,
    });
    assert.ok(r.roundTrips >= 500, `${r.roundTrips} round trips`);
    assert.equal(r.relayedPackets, r.roundTrips * 2);
    assert.ok((r.relayCpuUs ?? -1) >= 0);
    await assert.rejects(
      runRelayLoad({ allocations: 1, window: 1, payloadBytes: 10, durationMs: 1000, maxRoundTrips: 1 }, peer, {
        server: { host: '127.0.0.1', port: coturn.port, secret: 'a-wrong-secret-0123456789' },
        pid: coturn.pid,
      }),
      /Allocate refused: 401/,
    );
  } finally {
    peer.socket.close();
  }
});
