/**
 * XEP-0198 failover on a real cluster (nats-server, two routers, presence, two edges, each a
 * process): 200 resumable sessions on edge-2 receive a numbered stream from a sender on edge-1
 * (round robin over the 200 full JIDs, 200 messages/s). Edge-2 is SIGKILLed — or drained with
 * SIGTERM — mid-stream; every receiver resumes on edge-1 (RawClient-based SmSender: `<resume
 * previd h/>`). The run counts sent, received (live), stored, bounced, duplicates and reordering
 * (per receiver) and fails on any LOST, on a receiver that could not resume, and on any receiver
 * that got a message out of order.
 *
 * `SM_FAILOVER_SESSIONS` changes the number of sessions (200 by default).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Element } from '#libs/xml';
import { ChaosClient } from './chaos-client.js';
import { ChaosCluster } from './chaos-cluster.js';
import { Ledger } from './ledger.js';
import { messageXml, seqOfBody, seqOfId } from './numbered-stream.js';
import { SmSender } from './sm-sender.js';

const SESSIONS = Number(process.env.SM_FAILOVER_SESSIONS ?? 200);
/** Sessions per account (edge.maxSessionsPerAccount is raised to this). */
const PER_ACCOUNT = 20;
const RATE = 200;
const WARMUP_MS = 2_000;
const TAIL_MS = 3_000;
const SETTLE_MS = 5_000;
const SETTLE_MAX_MS = 60_000;
/** How long all receivers may take to be back after the fault. */
const BACK_TIMEOUT_MS = 120_000;
/** Logins at once while the receivers connect. */
const LOGIN_CONCURRENCY = 10;
const PASSWORD = 'failover-password';

const NS_DELAY = 'urn:xmpp:delay';

async function run(fault: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const cluster = await ChaosCluster.start({
    env: {
      GLIDER_EDGE__MAX_SESSIONS_PER_ACCOUNT: String(PER_ACCOUNT),
      GLIDER_EDGE__DRAIN_TIMEOUT_MS: '30000',
      // Every session comes from 127.0.0.1 here.
      GLIDER_EDGE__LIMITS__MAX_CONNECTIONS_PER_IP: String(SESSIONS * 2 + 10),
    },
  });
  let keep = false;
  const clients: SmSender[] = [];
  try {
    const accounts = Math.ceil(SESSIONS / PER_ACCOUNT);
    for (let a = 0; a < accounts; a++) await cluster.addUser(`rcv${a}`, PASSWORD);
    await cluster.addUser('sender', PASSWORD);
    const ledger = new Ledger();
    const lastSeq = new Map<number, number>();
    let reordered = 0;
    const anomalies: string[] = [];
    const targets = Array.from({ length: SESSIONS }, (_, i) => `rcv${Math.floor(i / PER_ACCOUNT)}@${cluster.domain}/r${i}`);
    const onReceiver =
      (i: number) =>
      (el: Element): void => {
        if (el.name !== 'message') return;
        const seq = seqOfBody(el);
        if (seq === undefined) return void anomalies.push(`unexpected: ${String(el).slice(0, 120)}`);
        if (i >= 0) {
          const last = lastSeq.get(i) ?? -1;
          if (seq < last) reordered++;
          else lastSeq.set(i, seq);
        }
        ledger.record(el.getChild('delay', NS_DELAY) ? 'stored' : 'live', seq);
      };
    for (let i = 0; i < SESSIONS; i += LOGIN_CONCURRENCY) {
      const batch = await Promise.all(
        targets.slice(i, i + LOGIN_CONCURRENCY).map((jid, k) =>
          SmSender.login(cluster.edges, cluster.domain, jid.slice(0, jid.indexOf('@')), PASSWORD, onReceiver(i + k), {
            edge: 1,
            resource: `r${i + k}`,
            presence: false,
          }),
        ),
      );
      clients.push(...batch);
    }
    const sender = await SmSender.login(cluster.edges, cluster.domain, 'sender', PASSWORD, (el) => {
      if (el.name === 'message' && el.attrs.type === 'error') {
        const seq = seqOfId(el);
        if (seq !== undefined) ledger.record('bounced', seq);
      }
    });
    clients.push(sender);

    // The stream: message n to receiver n mod SESSIONS, paced at RATE.
    let stopping = false;
    const streaming = (async () => {
      const t0 = Date.now();
      while (!stopping && Date.now() - t0 < 10 * 60_000) {
        const due = Math.floor(((Date.now() - t0) * RATE) / 1000);
        const batch: string[] = [];
        for (let seq = ledger.sentCount; seq < due; seq++) {
          batch.push(messageXml(seq, { to: targets[seq % SESSIONS]!, padBytes: 0 }));
          ledger.sentOne(seq);
        }
        if (batch.length > 0) sender.sendMany(batch);
        await sleep(10);
      }
    })();

    await sleep(WARMUP_MS);
    assert.ok(ledger.counts().live > 0, 'messages flow before the fault');
    const t0 = Date.now();
    await cluster.kill('edge-2', fault);
    const receivers = clients.slice(0, SESSIONS);
    while (receivers.some((r) => r.edgeIndex !== 0 || r.resumes + r.freshLogins === 0)) {
      if (Date.now() - t0 > BACK_TIMEOUT_MS) {
        const late = receivers.filter((r) => r.edgeIndex !== 0 || r.resumes + r.freshLogins === 0);
        throw new Error(
          `${late.length} receivers not back on edge-1 within ${BACK_TIMEOUT_MS} ms, e.g. ${late
            .slice(0, 3)
            .map((r) => r.notes.join('; '))
            .join(' | ')}`,
        );
      }
      await sleep(50);
    }
    const backAfterMs = Date.now() - t0;
    await sleep(TAIL_MS);
    stopping = true;
    await streaming;
    const start = Date.now();
    while (ledger.accounted() < ledger.sentCount && ledger.idleMs() < SETTLE_MS && Date.now() - start < SETTLE_MAX_MS) await sleep(50);

    // What went to offline storage instead (a session that could not take it) is stored, not lost:
    // each account logs in once more on edge-1 and takes its offline messages.
    const collectors: ChaosClient[] = [];
    if (ledger.accounted() < ledger.sentCount) {
      for (let a = 0; a < accounts; a++) {
        collectors.push(await ChaosClient.login(cluster.edges[0]!, cluster.domain, `rcv${a}`, PASSWORD, 'collect', onReceiver(-1 - a)));
      }
      const from = Date.now();
      while (ledger.accounted() < ledger.sentCount && ledger.idleMs() < SETTLE_MS && Date.now() - from < SETTLE_MAX_MS) await sleep(50);
      await Promise.all(collectors.map((cl) => cl.close()));
    }
    const counts = ledger.counts();
    const resumed = receivers.filter((r) => r.resumes > 0).length;
    const fresh = receivers.reduce((n, r) => n + r.freshLogins, 0);
    const row =
      `${fault === 'SIGKILL' ? 'SIGKILL' : 'drain (SIGTERM)'} edge-2 under ${SESSIONS} sessions: sent ${counts.sent}, live ${counts.live}, ` +
      `stored ${counts.stored}, bounced ${counts.bounced}, dup ${counts.duplicates}, reordered ${reordered}, LOST ${counts.lost}; ` +
      `${resumed}/${SESSIONS} resumed, ${fresh} fresh logins, all back on edge-1 ${(backAfterMs / 1000).toFixed(1)} s after the fault`;
    console.log(row);
    keep = counts.lost > 0;
    assert.equal(counts.lost, 0, `lost e.g. #${counts.lostSample.join(', #')} (logs in ${cluster.dataDir})`);
    assert.equal(resumed, SESSIONS, 'every receiver resumed its session');
    assert.equal(fresh, 0, 'no receiver had to log in afresh');
    assert.equal(reordered, 0, 'each receiver got its messages in order');
    assert.deepEqual(anomalies, []);
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await cluster.stop(keep);
  }
}

describe('stream management failover: 200 sessions, their edge dies or drains', () => {
  it('SIGKILL: every receiver resumes on the other edge, nothing lost', () => run('SIGKILL'));
  it('drain (SIGTERM): every receiver resumes on the other edge, nothing lost', () => run('SIGTERM'));
});
