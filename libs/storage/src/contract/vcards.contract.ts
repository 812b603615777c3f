import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

export function vcardsContract(makeStorage: MakeStorage): void {
  describe('vcards', () => {
    const storage = withStorage(makeStorage);

    it('sets, replaces, reads and deletes one vCard per owner', async () => {
      const o = `${unique('vcard')}@localhost`;
      const v = storage().vcards;
      assert.equal(await v.get(o), undefined);
      await v.set(o, '<vCard xmlns="vcard-temp"><FN>Ä 1</FN></vCard>');
      await v.set(o, '<vCard xmlns="vcard-temp"><FN>Ä 2</FN></vCard>');
      assert.equal(await v.get(o), '<vCard xmlns="vcard-temp"><FN>Ä 2</FN></vCard>');
      await v.delete(o);
      await v.delete(o);
      assert.equal(await v.get(o), undefined);
    });
  });
}
