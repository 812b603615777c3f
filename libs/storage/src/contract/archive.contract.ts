import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newArchiveId } from '../ports/archive-id.js';
import { ArchiveItemNotFoundError, type ArchivedMessage, type ArchiveRepository } from '../ports/archive.repository.js';
import { deleteAccountAndData } from '../ports/account-removal.js';
import { StorageRecordError } from '../ports/errors.js';
import { fakeScram, unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

const T0 = Date.UTC(2026, 0, 1);

/** Appends n messages one second apart, alternating peers; returns them in archive order. */
async function fill(a: ArchiveRepository, owner: string, n: number, peers = ['juliet@example.com/balcony', 'juliet@example.com/garden', 'nurse@example.com']) {
  const out: ArchivedMessage[] = [];
  for (let i = 0; i < n; i++) {
    const timestamp = new Date(T0 + i * 1000);
    const m: ArchivedMessage = {
      owner,
      id: newArchiveId(timestamp.getTime()),
      with: peers[i % peers.length]!,
      timestamp,
      direction: i % 2 ? 'in' : 'out',
      xml: `<message xmlns="jabber:client"><body>${i}</body></message>`,
    };
    await a.append(m);
    out.push(m);
  }
  return out;
}

const ids = (ms: { id: string }[]) => ms.map((m) => m.id);

export function archiveContract(makeStorage: MakeStorage): void {
  describe('archive (XEP-0313)', () => {
    const storage = withStorage(makeStorage);
    const owner = () => `${unique('mam')}@example.org`;

    it('pages forward with after, and backward (newest first) with before, counting the set', async () => {
      const a = storage().archive;
      const o = owner();
      const all = await fill(a, o, 7);
      const p1 = await a.query(o, {}, { max: 3 });
      assert.deepEqual(ids(p1.messages), ids(all.slice(0, 3)));
      assert.equal(p1.count, 7);
      assert.equal(p1.complete, false);
      const p3 = await a.query(o, {}, { max: 3, after: all[5]!.id });
      assert.deepEqual(ids(p3.messages), [all[6]!.id]);
      assert.equal(p3.complete, true);
      const last = await a.query(o, {}, { max: 3, before: true });
      assert.deepEqual(ids(last.messages), ids(all.slice(4)), 'the last page, still in chronological order');
      assert.equal(last.complete, false);
      const first = await a.query(o, {}, { max: 3, before: all[3]!.id });
      assert.deepEqual(ids(first.messages), ids(all.slice(0, 3)));
      assert.equal(first.complete, true, 'reached the oldest while paging backwards');
      const got = first.messages[0]!;
      assert.equal(got.xml, all[0]!.xml);
      assert.equal(got.with, all[0]!.with);
      assert.equal(got.direction, 'out');
      assert.equal(got.timestamp.getTime(), T0);
    });

    it('filters by with: a bare JID matches every resource, a full JID only itself (§4.1.1)', async () => {
      const a = storage().archive;
      const o = owner();
      const all = await fill(a, o, 6);
      const bare = await a.query(o, { with: 'juliet@example.com' }, { max: 10 });
      assert.deepEqual(ids(bare.messages), ids(all.filter((m) => m.with.startsWith('juliet@'))));
      assert.equal(bare.count, 4);
      const full = await a.query(o, { with: 'juliet@example.com/garden' }, { max: 10 });
      assert.deepEqual(ids(full.messages), ids(all.filter((m) => m.with === 'juliet@example.com/garden')));
      const other = await a.query(o, { with: 'nurse@example.com/any' }, { max: 10 });
      assert.equal(other.count, 0);
      assert.equal(other.complete, true);
    });

    it('filters by start/end (inclusive), after-id/before-id and ids, and combines them with paging', async () => {
      const a = storage().archive;
      const o = owner();
      const all = await fill(a, o, 8);
      const range = await a.query(o, { start: all[2]!.timestamp, end: all[5]!.timestamp }, { max: 10 });
      assert.deepEqual(ids(range.messages), ids(all.slice(2, 6)));
      const between = await a.query(o, { afterId: all[1]!.id, beforeId: all[6]!.id }, { max: 2, before: true });
      assert.deepEqual(ids(between.messages), ids(all.slice(4, 6)));
      assert.equal(between.count, 4);
      const some = await a.query(o, { ids: [all[7]!.id, all[0]!.id, 'NOTANID'] }, { max: 10 });
      assert.deepEqual(ids(some.messages), [all[0]!.id, all[7]!.id]);
      assert.equal((await a.query(o, { ids: [] }, { max: 10 })).count, 0);
    });

    it('max 0 counts without items; an unknown id in a bound is item-not-found', async () => {
      const a = storage().archive;
      const o = owner();
      const all = await fill(a, o, 3);
      const counted = await a.query(o, {}, { max: 0 });
      assert.deepEqual(counted.messages, []);
      assert.equal(counted.count, 3);
      const elsewhere = owner();
      await fill(a, elsewhere, 1);
      await assert.rejects(a.query(o, { afterId: newArchiveId() }, { max: 5 }), ArchiveItemNotFoundError);
      await assert.rejects(a.query(o, {}, { max: 5, before: 'unknown' }), ArchiveItemNotFoundError);
      const foreign = (await a.query(elsewhere, {}, { max: 1 })).messages[0]!.id;
      await assert.rejects(a.query(o, { beforeId: foreign }, { max: 5 }), ArchiveItemNotFoundError, "another owner's id is not in this archive");
      assert.equal((await a.query(o, {}, { max: 5, after: all[2]!.id })).messages.length, 0);
    });

    it('stores a retried append once and reports the bounds', async () => {
      const a = storage().archive;
      const o = owner();
      assert.deepEqual(await a.bounds(o), {});
      const all = await fill(a, o, 3);
      await a.append(all[1]!);
      assert.equal((await a.query(o, {}, { max: 10 })).count, 3);
      const b = await a.bounds(o);
      assert.equal(b.first?.id, all[0]!.id);
      assert.equal(b.last?.id, all[2]!.id);
      assert.equal(b.last?.timestamp.getTime(), all[2]!.timestamp.getTime());
    });

    it('appends made at once (two owners, a repeated record among them) all land, each once', async () => {
      const a = storage().archive;
      const [o1, o2] = [owner(), owner()];
      const ms: ArchivedMessage[] = Array.from({ length: 30 }, (_, i) => ({
        owner: i % 2 ? o1 : o2,
        id: newArchiveId(T0 + i),
        with: 'romeo@example.net/orchard',
        timestamp: new Date(T0 + i),
        direction: 'in',
        xml: `<message xmlns="jabber:client"><body>${i}</body></message>`,
      }));
      await Promise.all([...ms, ms[3]!, ms[4]!].map((m) => a.append(m)));
      const p1 = await a.query(o1, {}, { max: 50 });
      assert.deepEqual(ids(p1.messages), ids(ms.filter((m) => m.owner === o1)));
      assert.equal((await a.query(o2, {}, { max: 50 })).count, 15);
    });

    it('keeps preferences, validates them, and deletes them with the archive', async () => {
      const a = storage().archive;
      const o = owner();
      assert.equal(await a.getPrefs(o), undefined);
      await a.setPrefs(o, { default: 'roster', always: ['romeo@example.net'], never: ['spam@example.net'] });
      assert.deepEqual(await a.getPrefs(o), { default: 'roster', always: ['romeo@example.net'], never: ['spam@example.net'] });
      await a.setPrefs(o, { default: 'never', always: [], never: [] });
      assert.equal((await a.getPrefs(o))?.default, 'never');
      await assert.rejects(a.setPrefs(o, { default: 'sometimes' as never, always: [], never: [] }), StorageRecordError);
      await fill(a, o, 2);
      assert.equal(await a.deleteAll(o), 2);
      assert.equal(await a.getPrefs(o), undefined);
      assert.equal((await a.query(o, {}, { max: 10 })).count, 0);
    });

    it('an append made just before deleteAll does not land after it', async () => {
      const a = storage().archive;
      const o = owner();
      // not awaited: appends wait to be written with the others of their turn, the delete does not wait to be sent
      const appended = a.append({ owner: o, id: newArchiveId(), with: 'romeo@example.net/r', timestamp: new Date(), direction: 'in', xml: '<message/>' });
      assert.equal(await a.deleteAll(o), 1, 'the delete saw the append made before it');
      await appended;
      assert.equal((await a.query(o, {}, { max: 10 })).count, 0);
    });

    it('goes with the account (deleteAccountAndData)', async () => {
      const s = storage();
      const username = unique('gone');
      await s.accounts.create({
        username,
        domain: 'example.org',
        scram: { 'SHA-1': fakeScram(), 'SHA-256': fakeScram() },
        createdAt: new Date(),
        disabled: false,
      });
      const o = `${username}@example.org`;
      await fill(s.archive, o, 2);
      await s.archive.setPrefs(o, { default: 'always', always: [], never: [] });
      assert.equal(await deleteAccountAndData(s, username, 'example.org'), true);
      assert.equal((await s.archive.query(o, {}, { max: 10 })).count, 0);
      assert.equal(await s.archive.getPrefs(o), undefined);
    });

    it('retention removes only the old messages of that domain', async () => {
      const a = storage().archive;
      const domain = `${unique('d')}.example`;
      const o = `${unique('mam')}@${domain}`;
      const other = `${unique('mam')}@other-${domain}`;
      const all = await fill(a, o, 4);
      await fill(a, other, 4);
      assert.equal(await a.deleteOlderThan(domain, all[2]!.timestamp), 2);
      assert.deepEqual(ids((await a.query(o, {}, { max: 10 })).messages), ids(all.slice(2)));
      assert.equal((await a.query(other, {}, { max: 10 })).count, 4);
    });

    it("replaces one record's stanza (tombstones), keeping its id, time and place; unknown ids are false", async () => {
      const a = storage().archive;
      const o = `${unique('mam')}@example.org`;
      const all = await fill(a, o, 3);
      assert.equal(await a.replaceXml(o, all[1]!.id, '<message><retracted xmlns="urn:xmpp:message-retract:1"/></message>'), true);
      assert.equal(await a.replaceXml(o, 'no-such-id', '<message/>'), false);
      assert.equal(await a.replaceXml(`${unique('mam')}@example.org`, all[1]!.id, '<message/>'), false, "another owner's id");
      const page = await a.query(o, {}, { max: 10 });
      assert.deepEqual(ids(page.messages), ids(all));
      assert.equal(page.messages[1]!.xml, '<message><retracted xmlns="urn:xmpp:message-retract:1"/></message>');
      assert.equal(page.messages[1]!.timestamp.getTime(), all[1]!.timestamp.getTime());
      assert.equal(page.messages[0]!.xml, all[0]!.xml);
    });

    it('gives ids that sort in creation order, within one millisecond too', () => {
      const made = Array.from({ length: 50 }, () => newArchiveId(T0));
      assert.deepEqual([...made].sort(), made);
      assert.equal(new Set(made).size, 50);
    });
  });
}
