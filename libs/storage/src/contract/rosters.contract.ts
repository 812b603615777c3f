import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageRecordError } from '../ports/errors.js';
import type { RosterItem } from '../ports/rosters.repository.js';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

function item(jid: string, extra: Partial<RosterItem> = {}): RosterItem {
  return { jid, subscription: 'none', askOut: false, askIn: false, approved: false, groups: [], ...extra };
}

const owner = () => `${unique('owner')}@localhost`;

export function rostersContract(makeStorage: MakeStorage): void {
  describe('rosters', () => {
    const storage = withStorage(makeStorage);

    it('starts empty at version 0', async () => {
      const o = owner();
      assert.deepEqual(await storage().rosters.get(o), { owner: o, version: 0, items: [] });
      assert.equal(await storage().rosters.getItem(o, 'x@localhost'), undefined);
      assert.deepEqual(await storage().rosters.changesSince(o, 0), []);
    });

    it('adds, updates and removes items with a new version each time', async () => {
      const o = owner();
      const r = storage().rosters;
      const full = item('juliet@example.com', {
        name: 'Juliet',
        subscription: 'both',
        askOut: true,
        askIn: true,
        approved: true,
        groups: ['Friends', 'Lovers'],
        pendingInStanza: '<presence type="subscribe"/>',
      });
      const c1 = await r.modify(o, full.jid, () => full);
      assert.deepEqual(c1, { version: 1, item: full, removed: false });
      assert.deepEqual(await r.getItem(o, full.jid), full);
      const c2 = await r.modify(o, full.jid, (cur) => ({ ...cur!, name: 'J' }));
      assert.equal(c2?.version, 2);
      assert.equal((await r.getItem(o, full.jid))?.name, 'J');
      const c3 = await r.modify(o, full.jid, () => undefined);
      assert.deepEqual(c3, { version: 3, item: { ...full, name: 'J' }, removed: true });
      assert.equal(await r.getItem(o, full.jid), undefined);
      assert.deepEqual(await r.get(o), { owner: o, version: 3, items: [] });
    });

    it('changes nothing when mutate returns the same object, or undefined for a missing item', async () => {
      const o = owner();
      const r = storage().rosters;
      await r.modify(o, 'a@localhost', () => item('a@localhost'));
      assert.equal(await r.modify(o, 'a@localhost', (cur) => cur), undefined);
      assert.equal(await r.modify(o, 'missing@localhost', () => undefined), undefined);
      assert.equal((await r.get(o)).version, 1);
    });

    it('passes an error thrown by mutate through unchanged and stores nothing', async () => {
      const o = owner();
      const r = storage().rosters;
      await r.modify(o, 'a@localhost', () => item('a@localhost'));
      const boom = new Error('mutate refused');
      await assert.rejects(
        r.modify(o, 'a@localhost', () => {
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.deepEqual(await r.get(o), { owner: o, version: 1, items: [item('a@localhost')] });
    });

    it('answers changesSince with the latest change per contact, and undefined once history is gone', async () => {
      const o = owner();
      const r = storage().rosters;
      await r.modify(o, 'a@localhost', () => item('a@localhost'));
      await r.modify(o, 'b@localhost', () => item('b@localhost'));
      await r.modify(o, 'a@localhost', (cur) => ({ ...cur!, name: 'A' }));
      await r.modify(o, 'b@localhost', () => undefined);
      const since1 = await r.changesSince(o, 1);
      assert.deepEqual(since1, [
        { version: 3, item: item('a@localhost', { name: 'A' }), removed: false },
        { version: 4, item: item('b@localhost'), removed: true },
      ]);
      assert.deepEqual(await r.changesSince(o, 4), []);
      assert.equal((await r.changesSince(o, 0))?.length, 2);
      assert.equal(await r.changesSince(o, 99), undefined); // a version we never gave out
      // deleteAll moves the version on and drops the history: old versions mean "send everything"
      await r.deleteAll(o);
      const after = await r.get(o);
      assert.deepEqual(after.items, []);
      assert.ok(after.version > 4);
      assert.equal(await r.changesSince(o, 4), undefined);
    });

    it('forgets history beyond its window (at most the last 500 changes are kept)', async () => {
      const o = owner();
      const r = storage().rosters;
      for (let i = 0; i < 520; i++) await r.modify(o, 'a@localhost', () => item('a@localhost', { name: `n${i}` }));
      assert.equal((await r.get(o)).version, 520);
      assert.equal(await r.changesSince(o, 1), undefined);
      assert.deepEqual(await r.changesSince(o, 519), [{ version: 520, item: item('a@localhost', { name: 'n519' }), removed: false }]);
    });

    it('loses no update under 20 concurrent modify() calls on different contacts, from two replicas', async () => {
      const o = owner();
      const other = await makeStorage();
      try {
        const replicas = [storage(), other];
        const changes = await Promise.all(
          Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.rosters.modify(o, `c${i}@localhost`, () => item(`c${i}@localhost`))),
        );
        const versions = changes.map((c) => c!.version).sort((a, b) => a - b);
        assert.deepEqual(
          versions,
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const roster = await storage().rosters.get(o);
        assert.equal(roster.version, 20);
        assert.equal(roster.items.length, 20);
      } finally {
        await other.close();
      }
    });

    it('loses no update under 20 concurrent read-modify-writes of the same contact', async () => {
      const o = owner();
      const other = await makeStorage();
      try {
        const replicas = [storage(), other];
        const changes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            replicas[i % 2]!.rosters.modify(o, 'same@localhost', (cur) => ({
              ...(cur ?? item('same@localhost')),
              groups: [...(cur?.groups ?? []), `g${i}`],
            })),
          ),
        );
        const versions = changes.map((c) => c!.version);
        assert.equal(new Set(versions).size, 20);
        // the change that carried n groups got the n-th version: writes were serialised
        for (const c of changes) assert.equal(c!.item.groups.length, c!.version);
        const got = await storage().rosters.getItem(o, 'same@localhost');
        assert.deepEqual([...got!.groups].sort(), Array.from({ length: 20 }, (_, i) => `g${i}`).sort());
        assert.equal((await storage().rosters.get(o)).version, 20);
      } finally {
        await other.close();
      }
    });

    it('reports a corrupted item as StorageRecordError and keeps serving the rest of the roster', async (t) => {
      const s = storage();
      if (!s.corrupt) return t.skip('backend has no corrupt() hook');
      const o = owner();
      await s.rosters.modify(o, 'bad@localhost', () => item('bad@localhost'));
      await s.rosters.modify(o, 'good@localhost', () => item('good@localhost'));
      await s.corrupt('roster-item', { owner: o, contact: 'bad@localhost' });
      await assert.rejects(s.rosters.getItem(o, 'bad@localhost'), StorageRecordError);
      assert.deepEqual(await s.rosters.getItem(o, 'good@localhost'), item('good@localhost'));
      assert.deepEqual((await s.rosters.get(o)).items, [item('good@localhost')]);
    });
  });
}
