import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

export function lastActivityContract(makeStorage: MakeStorage): void {
  describe('last activity', () => {
    const storage = withStorage(makeStorage);

    it('sets, replaces, reads and deletes', async () => {
      const o = `${unique('last')}@localhost`;
      const l = storage().lastActivity;
      assert.equal(await l.get(o), undefined);
      await l.set(o, { at: new Date(1_700_000_000_001), status: 'first' });
      await l.set(o, { at: new Date(1_700_000_000_999), status: 'Gone fishing' });
      assert.deepEqual(await l.get(o), { at: new Date(1_700_000_000_999), status: 'Gone fishing' });
      await l.delete(o);
      assert.equal(await l.get(o), undefined);
    });
  });
}
