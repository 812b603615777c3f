import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '../ports/accounts.repository.js';
import { StorageConflictError, StorageRecordError } from '../ports/errors.js';
import { fakeScram, unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

function account(username: string, domain: string, createdAt = new Date(1_700_000_000_123)): Account {
  return { username, domain, scram: { 'SHA-1': fakeScram(), 'SHA-256': fakeScram() }, createdAt, disabled: false };
}

export function accountsContract(makeStorage: MakeStorage): void {
  describe('accounts', () => {
    const storage = withStorage(makeStorage);

    it('creates, reads back exactly, and refuses a duplicate', async () => {
      const a = account(unique('alice'), unique('d') + '.test');
      await storage().accounts.create(a);
      assert.deepEqual(await storage().accounts.get(a.username, a.domain), a);
      await assert.rejects(storage().accounts.create(account(a.username, a.domain)), StorageConflictError);
      assert.equal(await storage().accounts.get(a.username, unique('other') + '.test'), undefined);
      assert.equal(await storage().accounts.get(unique('nobody'), a.domain), undefined);
    });

    it('round-trips SCRAM credentials through setCredentials', async () => {
      const a = account(unique('bob'), 'localhost');
      await storage().accounts.create(a);
      const next = { 'SHA-1': fakeScram(), 'SHA-256': fakeScram() };
      assert.equal(await storage().accounts.setCredentials(a.username, a.domain, next), true);
      assert.deepEqual((await storage().accounts.get(a.username, a.domain))?.scram, next);
      assert.equal(await storage().accounts.setCredentials(unique('nobody'), a.domain, next), false);
    });

    it('keeps the disabled flag', async () => {
      const a = { ...account(unique('carol'), 'localhost'), disabled: true };
      await storage().accounts.create(a);
      assert.equal((await storage().accounts.get(a.username, a.domain))?.disabled, true);
    });

    it('disables and re-enables an account, and says when there is none', async () => {
      const a = account(unique('erin'), 'localhost');
      await storage().accounts.create(a);
      assert.equal(await storage().accounts.setDisabled(a.username, a.domain, true), true);
      assert.equal((await storage().accounts.get(a.username, a.domain))?.disabled, true);
      assert.equal(await storage().accounts.setDisabled(a.username, a.domain, false), true);
      assert.equal((await storage().accounts.get(a.username, a.domain))?.disabled, false);
      assert.equal(await storage().accounts.setDisabled(unique('nobody'), a.domain, true), false);
    });

    it('deletes once', async () => {
      const a = account(unique('dave'), 'localhost');
      await storage().accounts.create(a);
      assert.equal(await storage().accounts.delete(a.username, a.domain), true);
      assert.equal(await storage().accounts.get(a.username, a.domain), undefined);
      assert.equal(await storage().accounts.delete(a.username, a.domain), false);
      await storage().accounts.create(a); // the name is free again
    });

    it('lists one domain by username, in pages, and counts it', async () => {
      const domain = unique('list') + '.test';
      const names = Array.from({ length: 25 }, (_, i) => `user${String(i).padStart(2, '0')}`);
      for (const n of [...names].reverse()) await storage().accounts.create(account(n, domain));
      await storage().accounts.create(account('user00', unique('elsewhere') + '.test'));
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const got = await storage().accounts.list(domain, { limit: 10, ...(after ? { after } : {}) });
        assert.ok(got.length <= 10);
        assert.ok(got.every((a) => a.domain === domain));
        seen.push(...got.map((a) => a.username));
        if (got.length < 10) break;
        after = got.at(-1)!.username;
      }
      assert.deepEqual(seen, names);
      assert.equal(await storage().accounts.count(domain), 25);
      assert.equal(await storage().accounts.count(unique('empty') + '.test'), 0);
      assert.deepEqual(await storage().accounts.list(unique('empty') + '.test'), []);
    });

    it('reports a corrupted account as StorageRecordError and keeps serving the others', async (t) => {
      const s = storage();
      if (!s.corrupt) return t.skip('backend has no corrupt() hook');
      const domain = unique('corrupt') + '.test';
      const bad = account('bad', domain);
      const good = account('good', domain);
      await s.accounts.create(bad);
      await s.accounts.create(good);
      await s.corrupt('account', { username: 'bad', domain });
      await assert.rejects(s.accounts.get('bad', domain), StorageRecordError);
      assert.deepEqual(await s.accounts.get('good', domain), good);
      assert.deepEqual(
        (await s.accounts.list(domain)).map((a) => a.username),
        ['good'],
      );
      assert.equal(await s.accounts.delete('bad', domain), true); // and an admin can remove it
    });
  });
}
