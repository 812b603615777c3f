import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MucHarness, SERVICE, errorOf } from '../../testing/muc-harness.js';

const say = (room: string, text: string) => `<message to="${room}@${SERVICE}" type="groupchat"><body>${text}</body></message>`;

describe('muc.* limits answer with the XEP-0045 errors', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start({
      admin: { jids: ['root@example.com'] },
      muc: { maxMessagesPerMinute: 2, maxMessageBytes: 400, maxRoomsPerUser: 1, maxJoinsPerMinute: 3, maxNickBytes: 8 },
    });
  });
  after(async () => {
    await h?.close();
  });

  it('message size (not-acceptable) and rate per occupant (resource-constraint, wait)', async () => {
    const u = await h.login('una@example.com/u');
    await h.send(u, `<presence to="lim@${SERVICE}/una"/>`);
    h.take(u);
    await h.send(u, say('lim', 'x'.repeat(500)));
    assert.equal(errorOf(h.take(u)[0]), 'not-acceptable');
    await h.send(u, say('lim', 'one'));
    await h.send(u, say('lim', 'two'));
    h.take(u);
    await h.send(u, say('lim', 'three'));
    const refused = h.take(u)[0]!;
    assert.equal(errorOf(refused), 'resource-constraint');
    assert.equal(refused.getChild('error')!.attrs.type, 'wait');
  });

  it('rooms per user (not-allowed), nick length (not-acceptable), joins per minute (resource-constraint)', async () => {
    const u = (await h.registry.get('una@example.com/u'))!;
    await h.send(u, `<presence to="second@${SERVICE}/una"/>`);
    assert.equal(errorOf(h.take(u)[0]), 'not-allowed', 'una owns lim already (maxRoomsPerUser 1)');
    const v = await h.login('vic@example.com/v');
    await h.send(v, `<presence to="lim@${SERVICE}/a-very-long-nick"/>`);
    assert.equal(errorOf(h.take(v)[0]), 'not-acceptable');
    await h.send(v, `<presence to="lim@${SERVICE}/vic"/>`);
    await h.send(v, `<presence to="lim@${SERVICE}/vic2"/>`);
    await h.send(v, `<presence to="lim@${SERVICE}/vic3"/>`);
    assert.ok(
      h.take(v).every((e) => e.attrs.type !== 'error'),
      'three in a minute are fine',
    );
    await h.send(v, `<presence to="lim@${SERVICE}/vic4"/>`);
    assert.equal(errorOf(h.take(v)[0]), 'resource-constraint', 'the fourth join or nick change in a minute');
  });

  it('roomCreation admins: only admin.jids create rooms (not-allowed)', async () => {
    const g = await MucHarness.start({ admin: { jids: ['root@example.com'] }, muc: { roomCreation: 'admins' } });
    try {
      const w = await g.login('wes@example.com/w');
      await g.send(w, `<presence to="mine@${SERVICE}/wes"/>`);
      assert.equal(errorOf(g.take(w)[0]), 'not-allowed');
      const root = await g.login('root@example.com/r');
      await g.send(root, `<presence to="mine@${SERVICE}/root"/>`);
      assert.equal(g.take(root)[0]!.attrs.type, undefined, 'the admin creates it');
    } finally {
      await g.close();
    }
  });
});
