/**
 * One row of the chaos table: a fresh cluster, a sender on edge-1 streaming numbered messages to a
 * receiver on edge-2, the fault injected after a warm-up, the stream kept going for a while after,
 * then the receiver logs in again to take its offline messages, and everything is counted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ChaosClient } from './chaos-client.js';
import { ChaosCluster } from './chaos-cluster.js';
import type { Fault } from './faults.js';
import { Ledger, type Counts } from './ledger.js';
import { NumberedStream } from './numbered-stream.js';
import { Receiver, settle } from './receiver.js';
import { SmSender } from './sm-sender.js';

export interface RunSettings {
  /** Messages per second. */
  rate: number;
  /** Streaming before the fault. */
  warmupMs: number;
  /** Streaming after the fault's schedule has ended. */
  tailMs: number;
  /**
   * A phase ends when every message is accounted for, or nothing arrived for this long (keep it
   * above the time the cluster takes to route an unacknowledged delivery again)...
   */
  settleMs: number;
  /** ...and never lasts longer than this. */
  settleMaxMs: number;
  /** Hard bound on one stream, whatever the fault does. */
  maxStreamMs: number;
}

export const DEFAULT_SETTINGS: RunSettings = {
  rate: 200,
  warmupMs: 2_000,
  tailMs: 3_000,
  settleMs: 5_000,
  settleMaxMs: 30_000,
  maxStreamMs: 60_000,
};

export interface Row {
  fault: string;
  counts: Counts;
  notes: string[];
  seconds: number;
  /** Where the logs are when the run lost something (kept for a look). */
  logsKeptIn?: string;
}

const PASSWORD = 'chaos-password';

export async function runFault(fault: Fault, s: RunSettings = DEFAULT_SETTINGS): Promise<Row> {
  const t0 = Date.now();
  const notes: string[] = [];
  const cluster = await ChaosCluster.start({ memberEnv: fault.memberEnv });
  let keep = false;
  try {
    await cluster.addUser('sender', PASSWORD);
    await cluster.addUser('receiver', PASSWORD);
    const ledger = new Ledger();
    const receiver = new Receiver(cluster, ledger, 'receiver', PASSWORD, fault.reconnectDelayMs);
    await receiver.connect(1);
    const stream = new NumberedStream(ledger, {
      to: receiver.bare,
      rate: s.rate,
      padBytes: fault.padBytes ?? 0,
      maxMessages: Math.ceil((s.rate * s.maxStreamMs) / 1000),
      maxMs: s.maxStreamMs,
    });
    const sender = fault.senderSm
      ? await SmSender.login(cluster.edges, cluster.domain, 'sender', PASSWORD, stream.onSenderElement)
      : await ChaosClient.login(cluster.edges[0]!, cluster.domain, 'sender', PASSWORD, 's', stream.onSenderElement);
    stream.start(sender);

    await sleep(s.warmupMs);
    if (ledger.counts().live === 0) throw new Error(`no message reached the receiver in the ${s.warmupMs} ms before the fault`);
    await fault.inject({ cluster, receiver, sender: sender instanceof SmSender ? sender : undefined, note: (n) => notes.push(n) });
    await sleep(s.tailMs);
    await stream.stop();

    const last = ledger.sentCount - 1;
    await settle(ledger, () => ledger.has(last), s.settleMs, s.settleMaxMs);
    await receiver.finish();
    await receiver.drain(0, s.settleMs, s.settleMaxMs);
    await sender.close();

    const counts = ledger.counts();
    const live = receiver.connections.filter((c) => !c.final);
    notes.push(`receiver on ${live.map((c) => `edge-${c.edge + 1}${c.streamError ? ` (cut: ${c.streamError})` : ''}`).join(', then ')}`);
    if (counts.reordered > 0) notes.push(`reordered: ${counts.reorderedLive} live, ${counts.reordered - counts.reorderedLive} stored`);
    if (counts.deliveredAndBounced > 0) notes.push(`${counts.deliveredAndBounced} delivered and bounced`);
    if (counts.lost > 0) notes.push(`lost e.g. #${counts.lostSample.join(', #')}`);
    if (sender instanceof SmSender) notes.push(...sender.notes);
    notes.push(...stream.anomalies, ...receiver.anomalies.slice(0, 3));
    keep = counts.lost > 0;
    return { fault: fault.name, counts, notes, seconds: (Date.now() - t0) / 1000, logsKeptIn: keep ? cluster.dataDir : undefined };
  } catch (err) {
    keep = true;
    throw new Error(`${fault.name}: ${(err as Error).message} (logs in ${cluster.dataDir})`, { cause: err });
  } finally {
    await cluster.stop(keep);
  }
}
