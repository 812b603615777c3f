import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageLimitError } from '../ports/errors.js';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

const owner = () => `${unique('offline')}@localhost`;
const msg = (i: number) => `<message xmlns="jabber:client" id="m${i}"><body>${i}</body></message>`;

export function offlineContract(makeStorage: MakeStorage): void {
  describe('offline', () => {
    const storage = withStorage(makeStorage);

    it('lists oldest first with increasing seqs, and limits the page', async () => {
      const o = owner();
      const off = storage().offline;
      const seqs: number[] = [];
      for (let i = 0; i < 5; i++) seqs.push(await off.push(o, msg(i), 100));
      assert.deepEqual(
        [...seqs].sort((a, b) => a - b),
        seqs,
      );
      assert.equal(new Set(seqs).size, 5);
      const all = await off.list(o);
      assert.deepEqual(
        all.map((m) => m.xml),
        [0, 1, 2, 3, 4].map(msg),
      );
      assert.deepEqual(
        all.map((m) => m.seq),
        seqs,
      );
      assert.ok(all.every((m) => m.owner === o && m.storedAt instanceof Date && !Number.isNaN(m.storedAt.getTime())));
      assert.deepEqual(
        (await off.list(o, 2)).map((m) => m.xml),
        [msg(0), msg(1)],
      );
      assert.equal(await off.count(o), 5);
      assert.deepEqual(await off.list(owner()), []);
    });

    it('delivers once: removed messages never come back, later ones stay, seqs are never reused', async () => {
      const o = owner();
      const off = storage().offline;
      for (let i = 0; i < 3; i++) await off.push(o, msg(i), 100);
      const first = await off.list(o);
      await off.remove(
        o,
        first.slice(0, 2).map((m) => m.seq),
      );
      const late = await off.push(o, msg(3), 100);
      await off.remove(
        o,
        first.slice(0, 2).map((m) => m.seq),
      ); // a second remover changes nothing
      assert.deepEqual(
        (await off.list(o)).map((m) => m.xml),
        [msg(2), msg(3)],
      );
      await off.remove(o, [first[2]!.seq, late]);
      assert.equal(await off.count(o), 0);
      const again = await off.push(o, msg(4), 100);
      assert.ok(again > late, 'a seq is not given out twice');
      await off.remove(o, []);
      assert.equal(await off.count(o), 1);
    });

    it('refuses past maxPerUser with StorageLimitError', async () => {
      const o = owner();
      const off = storage().offline;
      for (let i = 0; i < 3; i++) await off.push(o, msg(i), 3);
      await assert.rejects(off.push(o, msg(3), 3), StorageLimitError);
      assert.equal(await off.count(o), 3);
      await assert.rejects(off.push(owner(), msg(0), 0), StorageLimitError);
    });

    it('keeps the limit and distinct ordered seqs under 20 concurrent pushes from two replicas', async () => {
      const o = owner();
      const other = await makeStorage();
      try {
        const replicas = [storage(), other];
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.offline.push(o, msg(i), 10)));
        const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StorageLimitError, String(r.reason));
        assert.ok(ok.length >= 1 && ok.length <= 10, `stored ${ok.length} of 20 with a limit of 10`);
        assert.equal(new Set(ok).size, ok.length);
        const listed = await storage().offline.list(o);
        assert.deepEqual(
          listed.map((m) => m.seq),
          [...ok].sort((a, b) => a - b),
        );
      } finally {
        await other.close();
      }
    });

    it('refuses past the byte quota with StorageLimitError; delivered messages free their bytes', async () => {
      const o = owner();
      const off = storage().offline;
      const big = (i: number) => `<message xmlns="jabber:client" id="b${i}"><body>${'é'.repeat(500)}</body></message>`; // > 1000 bytes
      const size = Buffer.byteLength(big(0), 'utf8');
      const quota = { messages: 100, bytes: 3 * size };
      for (let i = 0; i < 3; i++) await off.push(o, big(i), quota);
      await assert.rejects(off.push(o, big(3), quota), StorageLimitError);
      await assert.rejects(off.push(o, msg(3).replace('<body>3', `<body>${'x'.repeat(10)}`), { messages: 100, bytes: 3 * size + 5 }), StorageLimitError);
      assert.equal(await off.count(o), 3);
      await off.push(o, msg(9), { messages: 100, bytes: 3 * size + Buffer.byteLength(msg(9)) }); // exactly full fits
      await assert.rejects(off.push(owner(), big(0), { messages: 100, bytes: size - 1 }), StorageLimitError, 'larger than the whole quota');
      const first = (await off.list(o, 1))[0]!;
      await off.remove(o, [first.seq]);
      await off.push(o, big(4), { messages: 100, bytes: 3 * size + Buffer.byteLength(msg(9)) });
      assert.deepEqual(
        (await off.list(o)).map((m) => m.xml),
        [big(1), big(2), msg(9), big(4)],
      );
    });

    it('keeps the byte quota under 20 concurrent pushes from two replicas', async () => {
      const o = owner();
      const other = await makeStorage();
      try {
        const replicas = [storage(), other];
        const item = (i: number) => `<message xmlns="jabber:client" id="c${String(i).padStart(2, '0')}"><body>${'z'.repeat(400)}</body></message>`;
        const size = Buffer.byteLength(item(0), 'utf8');
        const quota = { messages: 1000, bytes: 5 * size };
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => replicas[i % 2]!.offline.push(o, item(i), quota)));
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof StorageLimitError, String(r.reason));
        const ok = results.filter((r) => r.status === 'fulfilled').length;
        assert.ok(ok >= 1 && ok <= 5, `stored ${ok} of 20 with room for 5`);
        const listed = await storage().offline.list(o);
        assert.equal(listed.length, ok);
        assert.ok(listed.reduce((n, m) => n + Buffer.byteLength(m.xml, 'utf8'), 0) <= quota.bytes);
      } finally {
        await other.close();
      }
    });

    it('deletes everything of one owner only', async () => {
      const o = owner();
      const keep = owner();
      await storage().offline.push(o, msg(0), 10);
      await storage().offline.push(keep, msg(0), 10);
      await storage().offline.deleteAll(o);
      assert.equal(await storage().offline.count(o), 0);
      assert.equal(await storage().offline.count(keep), 1);
    });
  });
}
