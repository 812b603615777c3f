import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteAccountAndData } from '../ports/account-removal.js';
import { StorageLimitError } from '../ports/errors.js';
import { fakeScram, unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

const FORM = "<x xmlns='jabber:x:data' type='submit'><field var='secret'><value>s3cr3t</value></field></x>";

export function pushContract(makeStorage: MakeStorage): void {
  describe('push registrations (XEP-0357)', () => {
    const storage = withStorage(makeStorage);

    it('keeps registrations per owner in the order of enabling; re-enabling a pair replaces its publish options (§5)', async () => {
      const o = `${unique('push')}@localhost`;
      const other = `${unique('push')}@localhost`;
      const p = storage().push;
      assert.deepEqual(await p.list(o), []);
      const t1 = new Date(1_700_000_000_000);
      const t2 = new Date(1_700_000_100_000);
      await p.enable(o, { service: 'push.example', node: 'n1', publishOptions: FORM, enabledAt: t1 }, 5);
      await p.enable(o, { service: 'push.example', node: 'n2', enabledAt: t1 }, 5);
      await p.enable(other, { service: 'push.example', node: 'n1', enabledAt: t1 }, 5);
      assert.deepEqual(await p.list(o), [
        { service: 'push.example', node: 'n1', publishOptions: FORM, enabledAt: t1 },
        { service: 'push.example', node: 'n2', enabledAt: t1 },
      ]);
      // the last request's publish options win, and none replaces some
      await p.enable(o, { service: 'push.example', node: 'n2', publishOptions: FORM, enabledAt: t2 }, 5);
      await p.enable(o, { service: 'push.example', node: 'n1', enabledAt: t2 }, 5);
      assert.deepEqual(await p.list(o), [
        { service: 'push.example', node: 'n1', enabledAt: t2 },
        { service: 'push.example', node: 'n2', publishOptions: FORM, enabledAt: t2 },
      ]);
      assert.equal((await p.list(other)).length, 1);
    });

    it('§6: disables one node, or every node of a service; an unknown pair is no error', async () => {
      const o = `${unique('push')}@localhost`;
      const p = storage().push;
      const at = new Date();
      await p.enable(o, { service: 'a.example', node: 'n1', enabledAt: at }, 5);
      await p.enable(o, { service: 'a.example', node: 'n 2', enabledAt: at }, 5);
      await p.enable(o, { service: 'b.example', node: 'n1', enabledAt: at }, 5);
      assert.equal(await p.disable(o, 'a.example', 'nope'), 0);
      assert.equal(await p.disable(o, 'a.example', 'n1'), 1);
      assert.deepEqual(
        (await p.list(o)).map((r) => `${r.service} ${r.node}`),
        ['a.example n 2', 'b.example n1'],
      );
      await p.enable(o, { service: 'a.example', node: 'n3', enabledAt: at }, 5);
      assert.equal(await p.disable(o, 'a.example'), 2);
      assert.deepEqual(
        (await p.list(o)).map((r) => `${r.service} ${r.node}`),
        ['b.example n1'],
      );
    });

    it('refuses a registration past maxPerAccount and changes nothing; re-enabling a pair does not count twice', async () => {
      const o = `${unique('push')}@localhost`;
      const p = storage().push;
      const at = new Date();
      await p.enable(o, { service: 'a.example', node: 'n1', enabledAt: at }, 2);
      await p.enable(o, { service: 'a.example', node: 'n2', enabledAt: at }, 2);
      await assert.rejects(p.enable(o, { service: 'a.example', node: 'n3', enabledAt: at }, 2), StorageLimitError);
      await p.enable(o, { service: 'a.example', node: 'n2', publishOptions: FORM, enabledAt: at }, 2);
      assert.deepEqual(
        (await p.list(o)).map((r) => r.node),
        ['n1', 'n2'],
      );
    });

    it('is seen by another replica at once, and goes with the account', async () => {
      const user = unique('push');
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
        await one.push.enable(o, { service: 'push.example', node: 'n1', enabledAt: new Date() }, 5);
        assert.equal((await two.push.list(o)).length, 1);
        assert.equal(await deleteAccountAndData(two, user, 'localhost'), true);
        assert.deepEqual(await one.push.list(o), []);
      } finally {
        await two.close();
      }
    });
  });
}
