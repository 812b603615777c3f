import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteAccountAndData } from '../ports/account-removal.js';
import { StorageLimitError } from '../ports/errors.js';
import { fakeScram, unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

export function blocklistContract(makeStorage: MakeStorage): void {
  describe('blocklist (XEP-0191)', () => {
    const storage = withStorage(makeStorage);

    it('keeps a set per owner in the order of blocking; unblock and unblock-all', async () => {
      const o = `${unique('block')}@localhost`;
      const other = `${unique('block')}@localhost`;
      const b = storage().blocklist;
      assert.deepEqual(await b.list(o), []);
      await b.add(o, ['romeo@montague.net', 'example.org'], 10);
      await b.add(o, ['iago@shakespeare.lit/pda', 'romeo@montague.net'], 10);
      await b.add(other, ['x@y'], 10);
      assert.deepEqual(await b.list(o), ['romeo@montague.net', 'example.org', 'iago@shakespeare.lit/pda']);
      await b.remove(o, ['example.org', 'never@blocked']);
      assert.deepEqual(await b.list(o), ['romeo@montague.net', 'iago@shakespeare.lit/pda']);
      await b.deleteAll(o);
      assert.deepEqual(await b.list(o), []);
      assert.deepEqual(await b.list(other), ['x@y']);
    });

    it('refuses a block past maxItems and adds none of it; JIDs already there do not count twice', async () => {
      const o = `${unique('block')}@localhost`;
      const b = storage().blocklist;
      await b.add(o, ['a@x', 'b@x'], 3);
      await assert.rejects(b.add(o, ['c@x', 'd@x'], 3), StorageLimitError);
      assert.deepEqual(await b.list(o), ['a@x', 'b@x']);
      await b.add(o, ['a@x', 'b@x', 'c@x', 'c@x'], 3);
      assert.deepEqual(await b.list(o), ['a@x', 'b@x', 'c@x']);
    });

    it('is seen by another replica at once, and goes with the account', async () => {
      const user = unique('block');
      const o = `${user}@localhost`;
      const one = storage();
      const two = await makeStorage();
      try {
        await one.accounts.create({
          username: user,
          domain: 'localhost',
          scram: { 'SHA-1': fakeScram(), 'SHA-256': fakeScram() },
          createdAt: new Date(),
          disabled: false,
        });
        await one.blocklist.add(o, ['spam@example.org'], 10);
        assert.deepEqual(await two.blocklist.list(o), ['spam@example.org']);
        assert.equal(await deleteAccountAndData(two, user, 'localhost'), true);
        assert.deepEqual(await one.blocklist.list(o), []);
      } finally {
        await two.close();
      }
    });
  });
}
