import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeScram, unique, type MakeStorage } from './contract.types.js';

export function durabilityContract(makeStorage: MakeStorage): void {
  describe('durability', () => {
    it('keeps everything across close and reopen', async () => {
      const o = `${unique('durable')}@localhost`;
      const username = unique('durable');
      const first = await makeStorage();
      const scram = { 'SHA-1': fakeScram(), 'SHA-256': fakeScram() };
      try {
        await first.accounts.create({ username, domain: 'localhost', scram, createdAt: new Date(5), disabled: false });
        await first.rosters.modify(o, 'a@localhost', () => ({
          jid: 'a@localhost',
          subscription: 'both',
          askOut: false,
          askIn: false,
          approved: false,
          groups: ['x'],
        }));
        await first.offline.push(o, '<message/>', 10);
        await first.vcards.set(o, '<vCard xmlns="vcard-temp"/>');
      } finally {
        await first.close();
      }
      const second = await makeStorage();
      try {
        assert.deepEqual((await second.accounts.get(username, 'localhost'))?.scram, scram);
        assert.equal((await second.rosters.get(o)).version, 1);
        assert.deepEqual((await second.rosters.changesSince(o, 0))?.length, 1);
        assert.deepEqual(
          (await second.offline.list(o)).map((m) => m.xml),
          ['<message/>'],
        );
        assert.equal(await second.vcards.get(o), '<vCard xmlns="vcard-temp"/>');
        assert.equal(await second.health(), undefined);
      } finally {
        await second.close();
      }
    });
  });
}
