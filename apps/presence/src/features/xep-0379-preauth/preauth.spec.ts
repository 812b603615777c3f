import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inviteTokenId, newInviteToken } from '#libs/auth';
import { xml, type Element } from '#libs/xml';
import { PresenceHarness } from '../../testing/presence-harness.js';

const ROSTER = 'jabber:iq:roster';
const pushes = (els: Element[]) =>
  els.filter((e) => e.name === 'iq' && e.attrs.type === 'set').map((e) => e.getChild('query', ROSTER)!.getChild('item')!.attrs);
const presences = (els: Element[], type?: string) => els.filter((e) => e.name === 'presence' && e.attrs.type === type);
const subscribe = (to: string, token: string) => xml('presence', { to, type: 'subscribe' }, xml('preauth', { xmlns: 'urn:xmpp:pars:0', token }));

/**
 * XEP-0379 with an invite made for the inviter: the subscription request carrying its token is
 * approved by the server for the inviter, who asks back; a bad or spent token is an ordinary request.
 */
describe('XEP-0379 pre-authenticated subscription approved for the inviter', () => {
  let h: PresenceHarness;
  const invite = async (inviter: string, opts: { uses?: number; expiresInMs?: number } = {}): Promise<string> => {
    const token = newInviteToken();
    const now = Date.now();
    await h.storage.invites.create({
      id: inviteTokenId(token),
      domain: inviter.split('@')[1]!,
      inviter,
      group: 'Partners',
      usesLeft: opts.uses ?? 1,
      maxUses: opts.uses ?? 1,
      createdAt: new Date(now),
      expiresAt: new Date(now + (opts.expiresInMs ?? 3_600_000)),
    });
    return token;
  };
  before(async () => {
    h = await PresenceHarness.start({ invites: { enabled: true } });
  });
  after(() => h.close());

  test('a valid token: subscribed at once, the inviter subscribes back; the contact pre-approved: both', async () => {
    const romeo = await h.createUser('romeo');
    const juliet = await h.createUser('juliet');
    const r = await h.login(`${romeo}/pc`);
    const j = await h.login(`${juliet}/phone`);
    const token = await invite(romeo);
    await h.delivered();
    h.clear();
    // XEP-0379 §3.3: Juliet's client pre-approves Romeo, then sends the request with the token.
    await h.send(j, xml('presence', { to: romeo, type: 'subscribed' }));
    await h.send(j, subscribe(romeo, token));
    await h.delivered();
    assert.equal((await h.storage.rosters.getItem(romeo, juliet))?.subscription, 'both');
    assert.deepEqual((await h.storage.rosters.getItem(romeo, juliet))?.groups, ['Partners']);
    assert.equal((await h.storage.rosters.getItem(juliet, romeo))?.subscription, 'both');
    assert.equal(presences(h.for(r), 'subscribe').length, 0, 'romeo is not asked: the invite answered');
    assert.ok(presences(h.for(j), 'subscribed').some((p) => p.attrs.from === romeo));
    assert.ok(
      presences(h.for(j), undefined).some((p) => p.attrs.from === r.jid),
      "romeo's presence reaches juliet",
    );
    assert.deepEqual(pushes(h.for(r)).at(-1), { jid: juliet, subscription: 'both' });
    assert.equal((await h.storage.invites.get(inviteTokenId(token)))?.usesLeft, 0);
  });

  test("a spent, unknown, or another inviter's token is an ordinary request", async () => {
    const romeo = await h.createUser('romeo2');
    const paris = await h.createUser('paris');
    const tybalt = await h.createUser('tybalt');
    const r = await h.login(`${romeo}/pc`);
    const p = await h.login(`${paris}/pc`);
    const t = await h.login(`${tybalt}/pc`);
    const spent = await invite(romeo, { uses: 1 });
    await h.storage.invites.use(inviteTokenId(spent), new Date());
    const parisOwn = await invite(paris);
    await h.delivered();
    h.clear();
    await h.send(t, subscribe(romeo, spent));
    await h.send(t, subscribe(paris, 'AAAAAAAAAAAAAAAAAAAAAA'));
    await h.send(p, subscribe(romeo, parisOwn));
    await h.delivered();
    assert.equal((await h.storage.rosters.getItem(romeo, tybalt))?.askIn, true, 'pending for romeo to answer');
    assert.equal((await h.storage.rosters.getItem(romeo, tybalt))?.subscription, 'none');
    assert.equal((await h.storage.rosters.getItem(paris, tybalt))?.subscription, 'none');
    assert.equal((await h.storage.rosters.getItem(romeo, paris))?.subscription, 'none', "paris's own invite is no approval by romeo");
    assert.equal(presences(h.for(r), 'subscribe').length, 2);
    assert.equal(presences(h.for(p), 'subscribe').length, 1);
    assert.equal((await h.storage.invites.get(inviteTokenId(parisOwn)))?.usesLeft, 1, 'not consumed');
  });
});
