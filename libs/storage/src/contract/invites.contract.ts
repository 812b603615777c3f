import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageConflictError } from '../ports/errors.js';
import type { Invite } from '../ports/invites.repository.js';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

const invite = (over: Partial<Invite> = {}): Invite => ({
  id: unique('inv'),
  domain: 'localhost',
  usesLeft: 1,
  maxUses: 1,
  createdAt: new Date(1_000_000),
  expiresAt: new Date(2_000_000),
  ...over,
});

export function invitesContract(makeStorage: MakeStorage): void {
  describe('invites (XEP-0401 / XEP-0379)', () => {
    const storage = withStorage(makeStorage);

    it('stores an invite as given; a second one with the same id conflicts', async () => {
      const i = invite({ inviter: `${unique('alice')}@localhost`, group: 'Team', usesLeft: 3, maxUses: 3 });
      await storage().invites.create(i);
      assert.deepEqual(await storage().invites.get(i.id), i);
      await assert.rejects(storage().invites.create(i), StorageConflictError);
      assert.equal(await storage().invites.get('nope'), undefined);
    });

    it('each use takes one; used up, expired and unknown are told apart; release gives one back', async () => {
      const i = invite({ usesLeft: 2, maxUses: 2 });
      const s = storage().invites;
      await s.create(i);
      const now = new Date(1_500_000);
      const first = await s.use(i.id, now);
      assert.equal(first.kind, 'ok');
      assert.equal(first.kind === 'ok' && first.invite.usesLeft, 1);
      assert.equal((await s.use(i.id, now)).kind, 'ok');
      assert.deepEqual(await s.use(i.id, now), { kind: 'used-up' });
      await s.release(i.id);
      assert.equal((await s.use(i.id, now)).kind, 'ok', 'a released use can be taken again');
      await s.release(i.id);
      await s.release(i.id);
      await s.release(i.id);
      assert.equal((await s.get(i.id))?.usesLeft, 2, 'never more than it was made with');
      assert.deepEqual(await s.use(i.id, new Date(2_000_000)), { kind: 'expired' }, 'expiresAt itself is past');
      assert.deepEqual(await s.use('nope', now), { kind: 'unknown' });
    });

    it('racing uses of a last use: exactly one wins', async () => {
      const i = invite();
      await storage().invites.create(i);
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => storage().invites.use(i.id, new Date(1_500_000))));
      assert.equal(outcomes.filter((o) => o.kind === 'ok').length, 1);
      assert.equal(outcomes.filter((o) => o.kind === 'used-up').length, 7);
    });

    it('lists per domain oldest first, revokes, and removes an inviter’s invites', async () => {
      const domain = `${unique('d')}.test`;
      const inviter = `${unique('bob')}@${domain}`;
      const a = invite({ domain, createdAt: new Date(1_000_001) });
      const b = invite({ domain, inviter, createdAt: new Date(1_000_002) });
      const c = invite({ domain, inviter, createdAt: new Date(1_000_003) });
      for (const i of [c, a, b]) await storage().invites.create(i);
      assert.deepEqual(
        (await storage().invites.list(domain)).map((i) => i.id),
        [a.id, b.id, c.id],
      );
      assert.ok((await storage().invites.list()).some((i) => i.id === a.id));
      assert.equal(await storage().invites.revoke(b.id), true);
      assert.equal(await storage().invites.revoke(b.id), false);
      await storage().invites.deleteByInviter(inviter);
      assert.deepEqual(
        (await storage().invites.list(domain)).map((i) => i.id),
        [a.id],
      );
    });
  });
}
