/**
 * The faults of the chaos suite, each injected once into a fresh cluster while the sender (on
 * edge-1) streams numbered messages to the receiver (on edge-2). What a fault does is the whole
 * schedule: the stream keeps going meanwhile and for a while after it returns.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '#libs/testing';
import type { ChaosClient } from './chaos-client.js';
import type { ChaosCluster } from './chaos-cluster.js';
import type { Receiver } from './receiver.js';
import type { SmSender } from './sm-sender.js';

export interface FaultContext {
  cluster: ChaosCluster;
  receiver: Receiver;
  /** Set when the fault's sender uses stream management (`senderSm`). */
  sender?: SmSender;
  note: (text: string) => void;
}

export interface Fault {
  name: string;
  /** Extra GLIDER_* settings for some members of this run's cluster, by name (e.g. `edge-2`). */
  memberEnv?: Record<string, Record<string, string>>;
  /** Filler per message body (bytes), for faults that need volume rather than count. */
  padBytes?: number;
  /** How long after its connection ended the receiver comes back, on the other edge. */
  reconnectDelayMs: number;
  /** The sender uses XEP-0198 and resumes on the other edge when its connection dies. */
  senderSm?: boolean;
  inject(ctx: FaultContext): Promise<void>;
}

/** A killed router or presence comes back after this long, as a Kubernetes pod would. */
const RESTART_AFTER_MS = 2_000;
/** nats-server is down this long before it is started again on the same port and store. */
const NATS_DOWN_MS = 1_000;
/** The receiver's edge is frozen (SIGSTOP) this long: longer than the dead-edge sweep (3 heartbeats). */
const FREEZE_MS = 10_000;
/** Come back quickly: the usual reconnect of a client whose connection dropped. */
const QUICK_RETURN_MS = 300;
const SLOW_RETURN_MS = 10_000;
/**
 * The slow reader's edge gives up sooner than the default 8 MiB, to keep the run short. Only on
 * edge-2: on edge-1 the receiver takes its offline messages at once when it comes back.
 */
const SLOW_READER_WRITE_BUFFER = 1024 * 1024;
const SLOW_READER_PAD_BYTES = 4096;
/** How long the edge may take to notice the slow reader and cut it. */
const CUT_TIMEOUT_MS = 60_000;
/**
 * The slow reader reads again this long after it was cut: longer than the edge's close grace
 * (5 s), so the edge has let go of the connection; what the client then reads is what the
 * server had handed to TCP.
 */
const RESUME_AFTER_CUT_MS = 8_000;

/** How long a connection may take to end once it has no reason to live. */
const ENDED_TIMEOUT_MS = 30_000;

async function endedWithin(c: ChaosClient, when: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ENDED_TIMEOUT_MS)));
  const r = await Promise.race([c.ended.then(() => 'ended' as const), timeout]);
  clearTimeout(timer);
  if (r === 'timeout') throw new Error(`the receiver's connection was still open ${ENDED_TIMEOUT_MS} ms ${when}`);
}

type Pick = (cluster: ChaosCluster) => Promise<{ name: string; why?: string }>;

const killAndRestart = (label: string, pick: Pick): Fault => ({
  name: `SIGKILL ${label} (restarted after ${RESTART_AFTER_MS / 1000} s)`,
  reconnectDelayMs: QUICK_RETURN_MS,
  async inject({ cluster, note }) {
    const { name, why } = await pick(cluster);
    if (why) note(`killed ${name} (${why})`);
    await cluster.kill(name);
    await sleep(RESTART_AFTER_MS);
    await cluster.restart(name);
  },
});

/** The router that has routed the most so far: the one carrying the stream's partition. */
const busiestRouter: Pick = async (cluster) => {
  const routed = await Promise.all(['router-1', 'router-2'].map(async (r) => [r, await cluster.counter(r, 'glider_router_stanzas_routed_total')] as const));
  const [name] = routed.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { name, why: `stanzas routed so far: ${routed.map(([r, n]) => `${r} ${n}`).join(', ')}` };
};

const receiverEdgeDies = (returnMs: number): Fault => ({
  name: `SIGKILL receiver's edge, receiver back after ${returnMs / 1000} s`,
  reconnectDelayMs: returnMs,
  async inject({ cluster, receiver }) {
    await cluster.kill('edge-2');
    await endedWithin(receiver.current!, 'after its edge was killed');
    await sleep(returnMs);
  },
});

/** How long the sender may take to resume on the other edge. */
const RESUME_TIMEOUT_MS = 30_000;

export const FAULTS: Fault[] = [
  killAndRestart('the router routing the stream', busiestRouter),
  killAndRestart('presence-1', () => Promise.resolve({ name: 'presence-1' })),
  {
    name: `SIGKILL nats-server (restarted after ${NATS_DOWN_MS / 1000} s)`,
    reconnectDelayMs: QUICK_RETURN_MS,
    async inject({ cluster }) {
      await cluster.nats.kill('SIGKILL');
      await sleep(NATS_DOWN_MS);
      await cluster.nats.restart();
    },
  },
  receiverEdgeDies(QUICK_RETURN_MS),
  receiverEdgeDies(SLOW_RETURN_MS),
  {
    name: "SIGKILL sender's edge, sender resumes on the other edge (XEP-0198)",
    reconnectDelayMs: QUICK_RETURN_MS,
    senderSm: true,
    async inject({ cluster, sender }) {
      const back = sender!.backAgain();
      await cluster.kill('edge-1');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the sender did not come back')), RESUME_TIMEOUT_MS)));
      await Promise.race([back, late]).finally(() => clearTimeout(timer));
      // Back as Kubernetes would restart it: the receiver's final login (on edge-1) takes what was stored.
      await cluster.restart('edge-1');
    },
  },
  {
    name: `SIGSTOP receiver's edge ${FREEZE_MS / 1000} s, then SIGCONT`,
    reconnectDelayMs: QUICK_RETURN_MS,
    async inject({ cluster }) {
      cluster.freeze('edge-2');
      await sleep(FREEZE_MS);
      cluster.thaw('edge-2');
    },
  },
  {
    name: 'receiver stops reading (edge cuts it)',
    memberEnv: { 'edge-2': { GLIDER_EDGE__LIMITS__MAX_WRITE_BUFFER_BYTES: String(SLOW_READER_WRITE_BUFFER) } },
    padBytes: SLOW_READER_PAD_BYTES,
    reconnectDelayMs: QUICK_RETURN_MS,
    async inject({ cluster, receiver, note }) {
      const slow = receiver.current!;
      slow.pauseReading();
      const t0 = Date.now();
      const log = cluster.logFile('edge-2');
      await waitFor(() => /"condition":"policy-violation"/.test(readFileSync(log, 'utf8')), {
        timeoutMs: CUT_TIMEOUT_MS,
        intervalMs: 100,
        what: `edge-2 to cut the receiver that stopped reading (${log})`,
      });
      note(`cut after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(RESUME_AFTER_CUT_MS);
      slow.resumeReading();
      await endedWithin(slow, 'after it was cut and read again');
    },
  },
];
