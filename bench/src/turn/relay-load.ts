// Closed-loop UDP load through a TURN relay: each allocation keeps `window` datagrams in flight to
// an echo peer; every datagram crosses the relay twice (client → peer as ChannelData in, UDP out;
// the echo as UDP in, ChannelData out). The same loop without the relay gives the baseline the
// added latency is measured against. Bounded by duration and by a packet count.
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { treeCpuUs } from '../load/process-stats.js';
import { Histogram } from '../stats/histogram.js';
import { TurnAllocation, type TurnServer } from './turn-client.js';

export interface RelayLoadOptions {
  allocations: number;
  window: number;
  /** Relayed UDP payload per datagram (100 and 1,200 bytes in docs/performance.md). */
  payloadBytes: number;
  durationMs: number;
  /** Round trips after which the run stops even before `durationMs`. */
  maxRoundTrips: number;
}

export interface RelayLoadResult {
  payloadBytes: number;
  roundTrips: number;
  /** Datagrams the relay forwarded: two per round trip. */
  relayedPackets: number;
  lost: number;
  seconds: number;
  packetsPerSec: number;
  /** Relayed payload, both directions, Mbit/s. */
  mbitPerSec: number;
  rtt: Histogram;
  /** CPU time of the relay's process tree during the run, and per relayed datagram. */
  relayCpuUs?: number;
  cpuUsPerPacket?: number;
}

const CHANNEL = 0x4000;
const STALL_MS = 200;

/** An echo peer on loopback: what the other side of a call would be. */
export async function echoPeer(): Promise<{ socket: Socket; ip: string; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setRecvBufferSize(8 << 20);
  socket.setSendBufferSize(8 << 20);
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  return { socket, ip: '127.0.0.1', port: socket.address().port };
}

interface Lane {
  send(frame: Buffer): void;
  setReceiver(fn: (payload: Buffer) => void): void;
  close(): Promise<void>;
}

async function relayLanes(server: TurnServer, peer: { ip: string; port: number }, n: number): Promise<Lane[]> {
  const lanes: Lane[] = [];
  for (let i = 0; i < n; i++) {
    const a = await TurnAllocation.open(server, `bench-${i}`).catch(async (err: unknown) => {
      for (const l of lanes) await l.close();
      throw err;
    });
    await a.bindChannel(CHANNEL, peer);
    lanes.push({ send: (f) => a.sendChannelData(CHANNEL, f), setReceiver: (fn) => (a.onData = fn), close: () => a.close() });
  }
  return lanes;
}

async function directLanes(peer: { ip: string; port: number }, n: number): Promise<Lane[]> {
  const lanes: Lane[] = [];
  for (let i = 0; i < n; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    let receiver: (p: Buffer) => void = () => {};
    s.on('message', (m) => receiver(m));
    lanes.push({
      send: (f) => s.send(f.subarray(4), peer.port, peer.ip),
      setReceiver: (fn) => (receiver = fn),
      close: async () => {
        s.close();
      },
    });
  }
  return lanes;
}

/** Runs the loop; `relay` undefined = straight to the peer (the baseline). */
export async function runRelayLoad(
  opts: RelayLoadOptions,
  peer: { ip: string; port: number },
  relay?: { server: TurnServer; pid: number },
): Promise<RelayLoadResult> {
  const lanes = relay ? await relayLanes(relay.server, peer, opts.allocations) : await directLanes(peer, opts.allocations);
  const rtt = new Histogram();
  let roundTrips = 0;
  let lost = 0;
  let running = true;
  const state = lanes.map(() => ({ inflight: 0, lastRecv: 0 }));
  const fire = (i: number): void => {
    const frame = Buffer.allocUnsafe(4 + opts.payloadBytes);
    frame.writeDoubleLE(performance.now(), 4);
    lanes[i]!.send(frame);
    state[i]!.inflight++;
  };
  let watchdog: NodeJS.Timeout | undefined;
  const finished = new Promise<void>((resolve) => {
    lanes.forEach((lane, i) => {
      lane.setReceiver((payload) => {
        const st = state[i]!;
        st.inflight--;
        st.lastRecv = performance.now();
        rtt.record((st.lastRecv - payload.readDoubleLE(0)) * 1000);
        if (++roundTrips >= opts.maxRoundTrips) running = false;
        if (running) fire(i);
        else if (state.every((s) => s.inflight <= 0)) resolve();
      });
    });
    watchdog = setInterval(() => {
      const now = performance.now();
      state.forEach((st, i) => {
        if (st.inflight > 0 && now - st.lastRecv > STALL_MS) {
          lost += st.inflight; // nothing came back for a while: count the window lost and refill it
          st.inflight = 0;
          st.lastRecv = now;
          if (running) for (let k = 0; k < opts.window; k++) fire(i);
        }
      });
      if (!running && state.every((s) => s.inflight <= 0)) resolve();
    }, 50);
    setTimeout(() => (running = false), opts.durationMs);
  });
  const cpu0 = relay ? treeCpuUs(relay.pid) : 0;
  const t0 = performance.now();
  state.forEach((st, i) => {
    st.lastRecv = t0;
    for (let k = 0; k < opts.window; k++) fire(i);
  });
  await finished;
  clearInterval(watchdog);
  const seconds = (performance.now() - t0) / 1000;
  const relayCpuUs = relay ? treeCpuUs(relay.pid) - cpu0 : undefined;
  for (const l of lanes) await l.close();
  const relayedPackets = roundTrips * 2;
  return {
    payloadBytes: opts.payloadBytes,
    roundTrips,
    relayedPackets,
    lost,
    seconds,
    packetsPerSec: relayedPackets / seconds,
    mbitPerSec: (relayedPackets * opts.payloadBytes * 8) / seconds / 1e6,
    rtt,
    ...(relayCpuUs !== undefined ? { relayCpuUs, cpuUsPerPacket: relayCpuUs / relayedPackets } : {}),
  };
}
