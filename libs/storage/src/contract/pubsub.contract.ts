import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteAccountAndData } from '../ports/account-removal.js';
import { StorageLimitError } from '../ports/errors.js';
import type { PubSubItemRecord, PubSubNodeRecord } from '../ports/pubsub.repository.js';
import { fakeScram, unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

const record = (service: string, node: string, config: Record<string, string[]> = {}): PubSubNodeRecord => ({
  service,
  node,
  creator: service,
  createdAt: new Date(1_700_000_000_000),
  config,
  affiliations: { [service]: 'owner' },
  subscriptions: {},
});

const item = (id: string, payload = `<x xmlns='urn:test'>${id}</x>`): PubSubItemRecord => ({
  id,
  payload,
  publisher: 'alice@localhost',
  publishedAt: new Date(1_700_000_000_000),
});

export function pubsubContract(makeStorage: MakeStorage): void {
  describe('pubsub (XEP-0060 nodes and items)', () => {
    const storage = withStorage(makeStorage);

    it('creates, changes and lists nodes; JIDs and field vars with dots survive', async () => {
      const s = `${unique('ps')}@localhost`;
      const p = storage().pubsub;
      assert.equal(await p.node(s, 'urn:xmpp:avatar:data'), undefined);
      const created = await p.modifyNode(s, 'urn:xmpp:avatar:data', (cur) => cur ?? record(s, 'urn:xmpp:avatar:data', { 'pubsub#max_items': ['1'] }), 10);
      assert.equal(created?.config['pubsub#max_items']?.[0], '1');
      await p.modifyNode(s, 'a.b', () => record(s, 'a.b'), 10);
      const changed = await p.modifyNode(
        s,
        'urn:xmpp:avatar:data',
        (cur) =>
          cur && {
            ...cur,
            subscriptions: { 'bob@example.org/phone': { subid: 's1', state: 'subscribed' } },
            affiliations: { ...cur.affiliations, 'x.y@z.org': 'member' },
          },
        10,
      );
      assert.equal(changed?.affiliations['x.y@z.org'], 'member');
      const again = await p.node(s, 'urn:xmpp:avatar:data');
      assert.deepEqual(again?.subscriptions, { 'bob@example.org/phone': { subid: 's1', state: 'subscribed' } });
      assert.deepEqual(again?.createdAt, new Date(1_700_000_000_000));
      assert.deepEqual(
        (await p.nodes(s)).map((n) => n.node),
        ['a.b', 'urn:xmpp:avatar:data'],
      );
      // mutate answering undefined changes nothing
      assert.equal((await p.modifyNode(s, 'a.b', () => undefined, 10))?.node, 'a.b');
      assert.equal(await p.modifyNode(s, 'none', () => undefined, 10), undefined);
      assert.equal(await p.node(s, 'none'), undefined);
    });

    it('refuses a node past maxNodes; changing an existing node is no creation', async () => {
      const s = `${unique('ps')}@localhost`;
      const p = storage().pubsub;
      await p.modifyNode(s, 'one', () => record(s, 'one'), 2);
      await p.modifyNode(s, 'two', () => record(s, 'two'), 2);
      await assert.rejects(
        p.modifyNode(s, 'three', () => record(s, 'three'), 2),
        StorageLimitError,
      );
      assert.equal(await p.node(s, 'three'), undefined);
      await p.modifyNode(s, 'two', (cur) => cur && { ...cur, config: { 'pubsub#title': ['t'] } }, 2);
      assert.deepEqual((await p.node(s, 'two'))?.config, { 'pubsub#title': ['t'] });
    });

    it('keeps items newest first, replaces a republished id as the newest, trims to maxItems', async () => {
      const s = `${unique('ps')}@localhost`;
      const p = storage().pubsub;
      await p.modifyNode(s, 'n', () => record(s, 'n'), 10);
      assert.deepEqual(await p.publish(s, 'n', item('a'), 3), []);
      await p.publish(s, 'n', item('b'), 3);
      await p.publish(s, 'n', item('c'), 3);
      assert.deepEqual(await p.publish(s, 'n', item('a', '<x xmlns="urn:test">again</x>'), 3), []);
      assert.deepEqual(
        (await p.items(s, 'n')).map((i) => i.id),
        ['a', 'c', 'b'],
      );
      assert.equal((await p.items(s, 'n', { ids: ['a'] }))[0]?.payload, '<x xmlns="urn:test">again</x>');
      assert.deepEqual(await p.publish(s, 'n', item('d'), 3), ['b']);
      assert.deepEqual(
        (await p.items(s, 'n', { max: 2 })).map((i) => i.id),
        ['d', 'a'],
      );
      assert.deepEqual(
        (await p.items(s, 'n', { ids: ['c', 'zzz', 'd'] })).map((i) => i.id),
        ['d', 'c'],
      );
      const [first] = await p.items(s, 'n', { max: 1 });
      assert.equal(first?.publisher, 'alice@localhost');
      assert.deepEqual(first?.publishedAt, new Date(1_700_000_000_000));
    });

    it('retracts one item, purges all, deletes a node with its items', async () => {
      const s = `${unique('ps')}@localhost`;
      const p = storage().pubsub;
      await p.modifyNode(s, 'n', () => record(s, 'n'), 10);
      await p.modifyNode(s, 'm', () => record(s, 'm'), 10);
      await p.publish(s, 'n', item('a'), 10);
      await p.publish(s, 'n', item('b'), 10);
      await p.publish(s, 'm', item('a'), 10);
      assert.equal(await p.retract(s, 'n', 'a'), true);
      assert.equal(await p.retract(s, 'n', 'a'), false);
      assert.deepEqual(
        (await p.items(s, 'n')).map((i) => i.id),
        ['b'],
      );
      await p.purge(s, 'n');
      assert.deepEqual(await p.items(s, 'n'), []);
      assert.equal((await p.items(s, 'm')).length, 1);
      assert.equal(await p.deleteNode(s, 'm'), true);
      assert.equal(await p.deleteNode(s, 'm'), false);
      assert.deepEqual(await p.items(s, 'm'), []);
      assert.equal(await p.node(s, 'm'), undefined);
    });

    it('is seen by another replica at once, and goes with the account', async () => {
      const user = unique('ps');
      const s = `${user}@localhost`;
      const other = `${unique('ps')}@localhost`;
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
        await one.pubsub.modifyNode(s, 'n', () => record(s, 'n'), 10);
        await one.pubsub.publish(s, 'n', item('a'), 10);
        await one.pubsub.modifyNode(other, 'n', () => record(other, 'n'), 10);
        assert.equal((await two.pubsub.items(s, 'n')).length, 1);
        assert.equal(await deleteAccountAndData(two, user, 'localhost'), true);
        assert.deepEqual(await one.pubsub.nodes(s), []);
        assert.deepEqual(await one.pubsub.items(s, 'n'), []);
        assert.equal((await one.pubsub.nodes(other)).length, 1);
      } finally {
        await two.close();
      }
    });
  });
}
