import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

export function privateXmlContract(makeStorage: MakeStorage): void {
  describe('private XML', () => {
    const storage = withStorage(makeStorage);

    it('keeps one element per (owner, name, namespace)', async () => {
      const o = `${unique('private')}@localhost`;
      const p = storage().privateXml;
      assert.equal(await p.get(o, 'storage', 'storage:bookmarks'), undefined);
      await p.set(o, 'storage', 'storage:bookmarks', '<storage xmlns="storage:bookmarks"/>');
      await p.set(o, 'storage', 'storage:rosternotes', '<storage xmlns="storage:rosternotes"/>');
      await p.set(o, 'storage', 'storage:bookmarks', '<storage xmlns="storage:bookmarks"><conference/></storage>');
      assert.equal(await p.get(o, 'storage', 'storage:bookmarks'), '<storage xmlns="storage:bookmarks"><conference/></storage>');
      assert.equal(await p.get(o, 'storage', 'storage:rosternotes'), '<storage xmlns="storage:rosternotes"/>');
      assert.equal(await p.get(o, 'other', 'storage:bookmarks'), undefined);
      await p.deleteAll(o);
      assert.equal(await p.get(o, 'storage', 'storage:rosternotes'), undefined);
    });
  });
}
