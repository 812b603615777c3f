import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buckets, keys, type KvBucket, type KvEntry } from '#libs/bus';
import { MucHarness, SERVICE } from '../testing/muc-harness.js';
import { liveKeys, type LiveHead, type OccupantValue } from './live-layout.js';

const MUC = 'http://jabber.org/protocol/muc';
const join = (room: string, nick: string) => `<presence to="${room}@${SERVICE}/${nick}"><x xmlns="${MUC}"/></presence>`;
const say = (room: string, body: string) => `<message to="${room}@${SERVICE}" type="groupchat"><body>${body}</body></message>`;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * What the muc service writes to the live-state bucket, as any client of the bus sees it (a watch:
 * every put and delete, in order). `during` runs an action and returns the writes it caused: a
 * marker key written after it comes back through the same watch once everything before it has.
 */
class KvTap {
  private seen: KvEntry[] = [];
  private marks = 0;
  private constructor(private readonly kv: KvBucket) {}

  static async on(h: MucHarness): Promise<KvTap> {
    const kv = await h.bus.kv(buckets.mucRooms);
    const tap = new KvTap(kv);
    await kv.watch((e) => tap.seen.push(e));
    return tap;
  }

  async during(h: MucHarness, action: () => Promise<unknown>): Promise<{ writes: number; bytes: number }> {
    await this.settle(h);
    this.seen = [];
    await action();
    await this.settle(h);
    const mine = this.seen.filter((e) => !e.key.startsWith('tap-mark'));
    return { writes: mine.length, bytes: mine.reduce((n, e) => n + e.value.length, 0) };
  }

  private async settle(h: MucHarness): Promise<void> {
    const mark = `tap-mark${++this.marks}`;
    await this.kv.put(mark, utf8.encode('x'));
    await h.waitFor(() => this.seen.some((e) => e.key === mark), 'the KV watch to catch up');
  }
}

/** Another replica takes every room over (the running one stops: its partitions move). */
async function takeOver(h: MucHarness, id: string): Promise<void> {
  const first = h.muc;
  const next = await h.startService(id);
  await first.stop();
  await h.waitFor(() => next.runtime!.ownedPartitions().length === h.config.bus.partitions, `${id} to own every partition`);
}

describe('room live state in the KV (per occupant, per message: live-layout.ts)', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('a join writes the same few small values whatever the room holds (it re-wrote every occupant: O(N²) to seat N)', async () => {
    const tap = await KvTap.on(h);
    const owner = await h.login('owner@example.com/o');
    await h.send(owner, `<presence to="big@${SERVICE}/owner"/>`); // an instant room
    const costs: { writes: number; bytes: number }[] = [];
    const SEATS = 120;
    for (let i = 0; i < SEATS; i++) {
      const s = await h.login(`u${i}@example.com/r`);
      costs.push(await tap.during(h, () => h.send(s, join('big', `user${i}`))));
    }
    h.received.length = 0;
    const first = costs[1]!;
    const last = costs[SEATS - 1]!;
    assert.ok(
      costs.every((c) => c.writes === first.writes),
      `KV writes per join: ${costs.map((c) => c.writes).join(',')}`,
    );
    assert.ok(first.writes <= 2, `a join is the head and the occupant's key (${first.writes} writes)`);
    assert.ok(last.bytes <= first.bytes + 64, `join ${SEATS} wrote ${last.bytes} bytes, join 2 ${first.bytes}`);

    // a groupchat message writes the head and its ring slot, each about the message's size
    const speaker = await h.login('u0@example.com/r');
    const text = 'x'.repeat(400);
    const msg = await tap.during(h, () => h.send(speaker, say('big', text)));
    h.received.length = 0;
    assert.equal(msg.writes, 2);
    assert.ok(msg.bytes < 2 * 1200, `a ${text.length}-character message wrote ${msg.bytes} bytes`);
  });

  it('a replica that died after its commit and before its keys: the next owner rebuilds the committed room and writes the keys', async () => {
    const amy = await h.login('amy@example.com/a');
    const ben = await h.login('ben@example.com/b');
    const cat = await h.login('cat@example.com/c');
    await h.send(amy, `<presence to="crash@${SERVICE}/amy"/>`);
    await h.send(ben, join('crash', 'ben'));
    await h.send(cat, join('crash', 'cat'));
    await h.send(ben, `<presence to="crash@${SERVICE}/ben"><show>away</show></presence>`);
    h.received.length = 0;
    const room = `crash@${SERVICE}`;
    const kv = await h.bus.kv(buckets.mucRooms);
    const head = JSON.parse(fromUtf8.decode((await kv.get(liveKeys.head(room)))!.value)) as LiveHead;
    // the last commit (ben's status) did not reach ben's key, which keeps an older commit's value:
    // as if the owner had died between the head and the keys
    const benId = head.ops.map((op) => ('o' in op ? op.occ : null)).find((o) => o?.nick === 'ben')!.id;
    const benKey = liveKeys.occupant(room, benId);
    const benNow = JSON.parse(fromUtf8.decode((await kv.get(benKey))!.value)) as OccupantValue;
    const stale: OccupantValue = { gen: benNow.gen - 1, occ: { ...benNow.occ, sessions: benNow.occ.sessions.map((s) => ({ ...s, presence: '<presence/>' })) } };
    await kv.put(benKey, utf8.encode(JSON.stringify(stale)));

    await takeOver(h, 'muc-2');
    const dan = await h.login('dan@example.com/d');
    await h.send(dan, join('crash', 'dan'));
    const roster = h.take(dan).filter((e) => e.name === 'presence');
    const benSeen = roster.find((e) => e.attrs.from === `${room}/ben`);
    assert.equal(benSeen?.getChildText('show'), 'away', 'the committed status, not the older key');
    assert.deepEqual(
      roster.map((e) => e.attrs.from),
      [`${room}/amy`, `${room}/ben`, `${room}/cat`, `${room}/dan`],
      'everyone, in the order they came',
    );
    const repaired = JSON.parse(fromUtf8.decode((await kv.get(benKey))!.value)) as OccupantValue;
    assert.equal(repaired.gen, head.gen, 'the key got the commit');
    await h.send(cat, say('crash', 'after the move'));
    for (const s of [amy, ben, cat, dan]) assert.equal(h.take(s).at(-1)?.getChildText('body'), 'after the move');
  });

  it('a room in the first layout (one value) is read, then written in the new one', async () => {
    const eve = await h.login('eve@example.com/e');
    const fay = await h.login('fay@example.com/f');
    await h.send(eve, `<presence to="old@${SERVICE}/eve"/>`);
    h.received.length = 0;
    const room = `old@${SERVICE}`;
    const kv = await h.bus.kv(buckets.mucRooms);
    const head = JSON.parse(fromUtf8.decode((await kv.get(liveKeys.head(room)))!.value)) as LiveHead;
    const eveOcc = head.ops.map((op) => ('o' in op ? op.occ : null)).find((o) => o?.nick === 'eve')!;
    const { id: _id, seat: _seat, ...v1Occupant } = eveOcc;
    const v1 = {
      occupants: [v1Occupant],
      history: [{ xml: `<message from="${room}/eve" type="groupchat"><body>before</body></message>`, at: Date.now(), chars: 70 }],
    };
    await kv.purgeUpTo(liveKeys.parts(room), Number.MAX_SAFE_INTEGER);
    await kv.put(keys.mucRoom(room), utf8.encode(JSON.stringify(v1)));
    await takeOver(h, 'muc-3');
    await h.send(fay, join('old', 'fay'));
    const got = h.take(fay);
    assert.ok(
      got.some((e) => e.attrs.from === `${room}/eve` && e.name === 'presence'),
      'eve is still in the room',
    );
    assert.ok(
      got.some((e) => e.getChildText('body') === 'before'),
      'with its history',
    );
    assert.equal((JSON.parse(fromUtf8.decode((await kv.get(liveKeys.head(room)))!.value)) as LiveHead).v, 2);
    assert.equal((await kv.keys(`${keys.mucRoom(room)}.o.*`)).length, 2, 'both occupants have their key');
  });
});
