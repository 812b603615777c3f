import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteAccountAndData } from '../ports/account-removal.js';
import type { FastTokenSlot } from '../ports/fast-tokens.repository.js';
import { fakeScram, unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

const slot = (key: string, issuedAt = new Date(1_000_000)): FastTokenSlot => ({
  key,
  mechanism: 'HT-SHA-256-NONE',
  issuedAt,
  expiresAt: new Date(issuedAt.getTime() + 86_400_000),
  count: 0,
});

export function fastTokensContract(makeStorage: MakeStorage): void {
  describe('FAST tokens (XEP-0484)', () => {
    const storage = withStorage(makeStorage);

    it('issues into the next slot, a used next becomes current, and an unused next is replaced', async () => {
      const a = `${unique('fast')}@localhost`;
      const t = storage().fastTokens;
      assert.equal(await t.get(a, 'c1'), undefined);
      await t.issue(a, 'c1', slot('k1'), 10, new Date(2_000));
      assert.deepEqual((await t.get(a, 'c1'))?.next, slot('k1'));
      assert.equal((await t.get(a, 'c1'))?.current, undefined);
      assert.equal(await t.use(a, 'c1', 'next', 'k1', undefined, new Date(3_000)), true);
      const used = (await t.get(a, 'c1'))!;
      assert.deepEqual(used.current, slot('k1'));
      assert.equal(used.next, undefined);
      assert.equal(used.updatedAt.getTime(), 3_000);
      await t.issue(a, 'c1', slot('k2'), 10, new Date(4_000));
      await t.issue(a, 'c1', slot('k3'), 10, new Date(5_000)); // k2 never used: replaced
      const both = (await t.get(a, 'c1'))!;
      assert.equal(both.current?.key, 'k1', 'the current token stays until the new one is used');
      assert.equal(both.next?.key, 'k3');
      assert.equal(await t.use(a, 'c1', 'next', 'k2', undefined, new Date()), false);
      assert.equal(await t.use(a, 'c1', 'current', 'k1', undefined, new Date()), true, 'the current one still works');
      assert.equal(await t.use(a, 'c1', 'next', 'k3', undefined, new Date()), true);
      assert.equal(await t.use(a, 'c1', 'current', 'k1', undefined, new Date()), false, 'using the newer token retired the older');
    });

    it('refuses a count not above the last one (the replay rule), once only when two race', async () => {
      const a = `${unique('fast')}@localhost`;
      const t = storage().fastTokens;
      await t.issue(a, 'c', slot('k'), 10, new Date());
      assert.equal(await t.use(a, 'c', 'next', 'k', 5, new Date()), true);
      assert.equal(await t.use(a, 'c', 'current', 'k', 5, new Date()), false);
      assert.equal(await t.use(a, 'c', 'current', 'k', 4, new Date()), false);
      assert.equal((await t.get(a, 'c'))?.current?.count, 5);
      const race = await Promise.all([t.use(a, 'c', 'current', 'k', 9, new Date()), t.use(a, 'c', 'current', 'k', 9, new Date())]);
      assert.deepEqual(race.sort(), [false, true]);
      assert.equal(await t.use(a, 'c', 'current', 'k', undefined, new Date()), true, 'no count: no replay check (not 0-RTT)');
    });

    it('keeps at most maxClients clients per account, evicting the least recently active', async () => {
      const a = `${unique('fast')}@localhost`;
      const t = storage().fastTokens;
      await t.issue(a, 'old', slot('k1'), 2, new Date(1_000));
      await t.issue(a, 'mid', slot('k2'), 2, new Date(2_000));
      await t.use(a, 'old', 'next', 'k1', undefined, new Date(3_000)); // old is now the most recent
      await t.issue(a, 'new', slot('k3'), 2, new Date(4_000));
      assert.deepEqual(
        (await t.list(a)).map((c) => c.client),
        ['old', 'new'],
      );
    });

    it('revokes one client or all, and goes with the account (seen by another replica)', async () => {
      const user = unique('fast');
      const a = `${user}@localhost`;
      const one = storage();
      const two = await makeStorage();
      try {
        await one.fastTokens.issue(a, 'c1', slot('k1'), 10, new Date());
        await one.fastTokens.issue(a, 'c2', slot('k2'), 10, new Date());
        await one.fastTokens.issue(a, 'c3', slot('k3'), 10, new Date());
        assert.equal(await two.fastTokens.revoke(a, 'c1'), 1);
        assert.equal(await two.fastTokens.revoke(a, 'c1'), 0);
        assert.deepEqual((await one.fastTokens.list(a)).map((c) => c.client).sort(), ['c2', 'c3']);
        assert.equal(await one.fastTokens.use(a, 'c1', 'next', 'k1', undefined, new Date()), false);
        assert.equal(await two.fastTokens.revoke(a), 2);
        await one.fastTokens.issue(a, 'c4', slot('k4'), 10, new Date());
        await one.accounts.create({
          username: user,
          domain: 'localhost',
          scram: { 'SHA-1': fakeScram(), 'SHA-256': fakeScram() },
          createdAt: new Date(),
          disabled: false,
        });
        assert.equal(await deleteAccountAndData(two, user, 'localhost'), true);
        assert.deepEqual(await one.fastTokens.list(a), []);
      } finally {
        await two.close();
      }
    });
  });
}
