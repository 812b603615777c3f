import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageConflictError } from '../ports/errors.js';
import type { MucRoomRecord } from '../ports/muc-rooms.repository.js';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

function room(jid: string, opts: { public?: boolean; owner?: string } = {}): MucRoomRecord {
  return {
    jid,
    config: {
      name: 'Room',
      description: '',
      persistent: true,
      public: opts.public ?? true,
      membersOnly: false,
      moderated: false,
      password: '',
      maxUsers: 0,
      whois: 'moderators',
      historyLength: 20,
      allowPm: 'anyone',
      allowInvites: false,
      changeSubject: false,
      enableLogging: false,
    },
    affiliations: [{ jid: opts.owner ?? 'owner@localhost', affiliation: 'owner' }],
    locked: false,
    salt: 'c2FsdA',
    createdAt: new Date('2026-01-02T03:04:05.000Z'),
  };
}

export function mucRoomsContract(makeStorage: MakeStorage): void {
  describe('muc rooms (XEP-0045)', () => {
    const storage = withStorage(makeStorage);

    it('creates once, reads back every field, replaces and deletes', async () => {
      const r = storage().mucRooms;
      const jid = `${unique('room')}@conference.localhost`;
      assert.equal(await r.get(jid), undefined);
      const first = room(jid);
      await r.create(first);
      await assert.rejects(r.create(room(jid)), StorageConflictError);
      assert.deepEqual(await r.get(jid), first);
      const changed: MucRoomRecord = {
        ...first,
        config: { ...first.config, name: 'Renamed', password: 's3cret', whois: 'anyone' },
        affiliations: [
          ...first.affiliations,
          { jid: 'bad@localhost', affiliation: 'outcast', reason: 'spam' },
          { jid: 'm@localhost', affiliation: 'member', nick: 'Em' },
        ],
        subject: { text: 'Today', nick: 'owner', at: new Date('2026-01-03T00:00:00.000Z') },
        locked: true,
      };
      await r.put(changed);
      assert.deepEqual(await r.get(jid), changed);
      assert.equal(await r.delete(jid), true);
      assert.equal(await r.delete(jid), false);
      assert.equal(await r.get(jid), undefined);
    });

    it('lists one service in JID order, public only when asked, paged with a count', async () => {
      const r = storage().mucRooms;
      const service = `${unique('conf')}.localhost`;
      const jids = ['a', 'b', 'c', 'd'].map((x) => `${x}@${service}`);
      for (const [i, jid] of jids.entries()) await r.create(room(jid, { public: i !== 1 }));
      await r.create(room(`a@other-${service}`));
      const all = await r.list(service, { publicOnly: false, max: 10 });
      assert.deepEqual(
        all.rooms.map((x) => x.jid),
        jids,
      );
      assert.equal(all.count, 4);
      const pub = await r.list(service, { publicOnly: true, max: 2 });
      assert.deepEqual(
        pub.rooms.map((x) => x.jid),
        [jids[0], jids[2]],
      );
      assert.equal(pub.count, 3);
      const next = await r.list(service, { publicOnly: true, after: jids[2], max: 2 });
      assert.deepEqual(
        next.rooms.map((x) => x.jid),
        [jids[3]],
      );
      const counted = await r.list(service, { publicOnly: true, max: 0 });
      assert.deepEqual(counted, { rooms: [], count: 3 });
    });

    it('counts the rooms a user owns, following affiliation changes; another replica sees them', async () => {
      const one = storage();
      const two = await makeStorage();
      try {
        const owner = `${unique('own')}@localhost`;
        const service = `${unique('conf')}.localhost`;
        await one.mucRooms.create(room(`x@${service}`, { owner }));
        const y = room(`y@${service}`, { owner });
        await one.mucRooms.create(y);
        assert.equal(await two.mucRooms.countOwnedBy(owner), 2);
        await two.mucRooms.put({
          ...y,
          affiliations: [
            { jid: 'else@localhost', affiliation: 'owner' },
            { jid: owner, affiliation: 'admin' },
          ],
        });
        assert.equal(await one.mucRooms.countOwnedBy(owner), 1);
        await one.mucRooms.delete(`x@${service}`);
        assert.equal(await two.mucRooms.countOwnedBy(owner), 0);
      } finally {
        await two.close();
      }
    });
  });
}
