/**
 * Group chat failover on a real cluster (issue 12, "a cluster fault test in CI"): nats-server, two
 * routers, presence, two edges and two muc replicas, each a process. 20 rooms × 10 occupants (ten
 * users, each in every room), half the rooms in partitions muc-1 owns; numbered groupchat flows in
 * every room (one sender per room, the next message once the previous one came back, as a client
 * waits for its reflection, XEP-0045 §7.4), and muc-1 is SIGKILLed mid-stream. A message bounced by
 * the router (its replica died before answering) is sent again with the same id and origin-id, as
 * a client retries (XEP-0359 §4). The run fails on any message an occupant got twice, missed or got
 * out of order in a room, and on any `unavailable` from a room (occupants stay joined).
 *
 * `MUC_FAILOVER_ROOMS` / `MUC_FAILOVER_OCCUPANTS` change the shape (20 × 10 by default).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { partitionOf, partitionsOwnedBy } from '#libs/bus';
import { configSchema } from '#libs/config';
import type { Element } from '#libs/xml';
import { ChaosClient } from './chaos-client.js';
import { ChaosCluster } from './chaos-cluster.js';

const ROOMS = Number(process.env.MUC_FAILOVER_ROOMS ?? 20);
const OCCUPANTS = Number(process.env.MUC_FAILOVER_OCCUPANTS ?? 10);
/** Pause between one message's reflection and the room's next message (5 a second per room). */
const PACE_MS = 200;
const WARMUP_MS = 2_000;
/** Messages each room must get through after the fault before the stream stops. */
const AFTER_FAULT = 5;
/** How long a sender waits for its reflection or a bounce before calling the message lost. */
const ANSWER_TIMEOUT_MS = 60_000;
const RESENDS = 5;
const SETTLE_MS = 60_000;
const PASSWORD = 'muc-chaos-password';
const MUC = 'http://jabber.org/protocol/muc';
const SID = 'urn:xmpp:sid:0';

type Waiter = { match: (el: Element) => boolean; resolve: (el: Element) => void };

/** One user's connection: what it got per room (sequence numbers), unavailable presences, waiters. */
class Occupant {
  readonly got = new Map<string, number[]>();
  readonly left: string[] = [];
  private readonly waiters = new Set<Waiter>();
  client!: ChaosClient;
  constructor(readonly nick: string) {}

  onElement = (el: Element): void => {
    const from = el.attrs.from ?? '';
    const room = from.split('/')[0]!;
    if (el.name === 'presence' && el.attrs.type === 'unavailable' && room.includes('@conference.')) this.left.push(String(el));
    if (el.name === 'message' && el.attrs.type === 'groupchat' && !el.getChild('delay', 'urn:xmpp:delay')) {
      const m = /^n(\d+)$/.exec(el.getChildText('body') ?? '');
      if (m) this.got.set(room, [...(this.got.get(room) ?? []), Number(m[1])]);
    }
    for (const w of this.waiters)
      if (w.match(el)) {
        this.waiters.delete(w);
        w.resolve(el);
      }
  };

  waitFor(what: string, match: (el: Element) => boolean, timeoutMs: number): Promise<Element> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match,
        resolve: (el) => {
          clearTimeout(timer);
          resolve(el);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`${this.nick}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }
}

/** Rooms alternating between the partitions of muc-1 and muc-2 (rendezvous hashing, libs/bus). */
function roomsOverTwo(n: number, domain: string): string[] {
  const partitions = configSchema.parse({}).bus.partitions;
  const ofOne = new Set(partitionsOwnedBy('muc-1', ['muc-1', 'muc-2'], partitions));
  const candidates = Array.from({ length: 50 * n }, (_, i) => `chaos${i}@conference.${domain}`);
  const one = candidates.filter((r) => ofOne.has(partitionOf(r, partitions)));
  const two = candidates.filter((r) => !ofOne.has(partitionOf(r, partitions)));
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? one[i >> 1] : two[i >> 1])!);
}

/** "max X s, median Y s" of the rooms' times to serve again (ms). */
function servedAgain(ms: (number | undefined)[]): string {
  const known = ms.filter((m): m is number => m !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return 'never';
  const s = (m: number) => `${(m / 1000).toFixed(1)} s`;
  return `max ${s(known.at(-1)!)}, median ${s(known[known.length >> 1]!)}`;
}

describe('muc failover: 20 rooms × 10 occupants, a muc replica SIGKILLed', () => {
  it('loses, doubles and reorders nothing, and keeps everyone joined', { timeout: 300_000 }, async () => {
    const cluster = await ChaosCluster.start({
      mucs: 2,
      env: {
        GLIDER_MUC__ENABLED: 'true',
        GLIDER_MUC__MAX_MESSAGES_PER_MINUTE: '100000',
        GLIDER_MUC__MAX_JOINS_PER_MINUTE: '100000',
        GLIDER_EDGE__LIMITS__MAX_CONNECTIONS_PER_IP: String(OCCUPANTS * 2 + 10),
      },
    });
    let keep = false;
    const users = Array.from({ length: OCCUPANTS }, (_, i) => new Occupant(`u${i}`));
    try {
      for (const u of users) await cluster.addUser(`muc${u.nick}`, PASSWORD);
      for (const [i, u] of users.entries())
        u.client = await ChaosClient.login(cluster.edges[i % 2]!, cluster.domain, `muc${u.nick}`, PASSWORD, 'chaos', u.onElement);
      const rooms = roomsOverTwo(ROOMS, cluster.domain);
      for (const room of rooms) {
        for (const [i, u] of users.entries()) {
          const self = `${room}/${u.nick}`;
          const joined = u.waitFor(`self-presence in ${room}`, (el) => el.name === 'presence' && el.attrs.from === self && !el.attrs.type, 30_000);
          u.client.send(`<presence to='${self}'><x xmlns='${MUC}'/></presence>`);
          await joined;
          if (i > 0) continue;
          // the creator accepts the instant configuration (§10.1.2) before the others come in
          const id = `cfg-${room}`;
          const done = u.waitFor(`configuration of ${room}`, (el) => el.name === 'iq' && el.attrs.id === id, 30_000);
          u.client.send(`<iq type='set' to='${room}' id='${id}'><query xmlns='${MUC}#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`);
          assert.equal((await done).attrs.type, 'result', `${room} configured`);
        }
      }

      // One sender per room; sent[r] = the numbers room r accepted, in order.
      const sent: number[][] = rooms.map(() => []);
      let resent = 0;
      let seq = 0;
      // killed.at[r]: what room r had sent when the replica was killed (set once, read by the loops)
      const killed: { at?: number[]; t0?: number } = {};
      // served[r]: ms from the kill until room r reflected a message first sent after it (the room serves again)
      const served: (number | undefined)[] = rooms.map(() => undefined);
      const roomLoop = async (r: number): Promise<void> => {
        const room = rooms[r]!;
        const u = users[r % OCCUPANTS]!;
        const t0 = Date.now();
        while (killed.at === undefined || sent[r]!.length < killed.at[r]! + AFTER_FAULT) {
          assert.ok(Date.now() - t0 < 240_000, `${room}: the stream never got past the fault`);
          const n = seq++;
          const stanza = `<message to='${room}' type='groupchat' id='m${n}'><body>n${n}</body><origin-id xmlns='${SID}' id='o${n}'/></message>`;
          for (let attempt = 0; ; attempt++) {
            assert.ok(attempt <= RESENDS, `${room}: message ${n} bounced ${RESENDS + 1} times`);
            const answer = u.waitFor(
              `reflection of ${n}`,
              (el) =>
                el.name === 'message' &&
                (el.attrs.from === room || el.attrs.from?.startsWith(`${room}/`) === true) &&
                (el.getChildText('body') === `n${n}` || (el.attrs.type === 'error' && el.attrs.id === `m${n}`)),
              ANSWER_TIMEOUT_MS,
            );
            const sentAt = Date.now();
            u.client.send(stanza);
            const el = await answer;
            if (el.attrs.type !== 'error') {
              if (killed.t0 !== undefined && sentAt >= killed.t0 && served[r] === undefined) served[r] = Date.now() - killed.t0;
              break;
            }
            resent++;
          }
          sent[r]!.push(n);
          await sleep(PACE_MS);
        }
      };
      const loops = rooms.map((_, r) => roomLoop(r));
      await sleep(WARMUP_MS);
      assert.ok(
        sent.every((s) => s.length > 0),
        'messages flow in every room before the fault',
      );
      const t0 = Date.now();
      killed.t0 = t0;
      killed.at = sent.map((s) => s.length);
      await cluster.kill('muc-1', 'SIGKILL');
      await Promise.all(loops);
      const streamMs = Date.now() - t0;

      // Everyone gets every room's last message, then the ledgers are compared.
      const settleFrom = Date.now();
      const complete = () => users.every((u) => rooms.every((room, r) => (u.got.get(room) ?? []).at(-1) === sent[r]!.at(-1)));
      while (!complete() && Date.now() - settleFrom < SETTLE_MS) await sleep(50);
      let lost = 0;
      let dup = 0;
      let reordered = 0;
      const samples: string[] = [];
      for (const u of users)
        for (const [r, room] of rooms.entries()) {
          const got = u.got.get(room) ?? [];
          const want = sent[r]!;
          const seen = new Set(got);
          lost += want.filter((n) => !seen.has(n)).length;
          dup += got.length - seen.size;
          for (let k = 1; k < got.length; k++) if (got[k]! < got[k - 1]!) reordered++;
          if (got.join() !== want.join() && samples.length < 3) samples.push(`${u.nick} in ${room}: got ${got.join(',')} want ${want.join(',')}`);
        }
      const left = users.reduce((n, u) => n + u.left.length, 0);
      const total = sent.reduce((n, s) => n + s.length, 0);
      console.log(
        `SIGKILL muc-1 under ${ROOMS} rooms × ${OCCUPANTS} occupants: accepted ${total}, deliveries ${total * OCCUPANTS}, ` +
          `resent after a bounce ${resent}, dup ${dup}, reordered ${reordered}, LOST ${lost}, unavailable ${left}; ` +
          `every room ${AFTER_FAULT} messages past the fault ${(streamMs / 1000).toFixed(1)} s after it; ` +
          `the killed replica's rooms served again ${servedAgain(served.filter((_, r) => r % 2 === 0))} after the kill, the survivor's ${servedAgain(served.filter((_, r) => r % 2 === 1))}`,
      );
      keep = lost + dup + reordered + left > 0;
      assert.deepEqual(samples, [], `each occupant gets each room's messages once, in order (logs in ${cluster.dataDir})`);
      assert.equal(
        left,
        0,
        `nobody leaves a room: ${users
          .flatMap((u) => u.left)
          .slice(0, 2)
          .join(' ')}`,
      );
    } catch (err) {
      keep = true;
      throw err;
    } finally {
      await Promise.all(users.map((u) => u.client?.close().catch(() => undefined)));
      await cluster.stop(keep);
    }
  });
});
