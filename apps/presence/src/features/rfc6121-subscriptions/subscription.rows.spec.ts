import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '#libs/config';
import type { SessionInfo } from '#libs/sessions';
import type { RosterItem } from '#libs/storage';
import { parseElement, type Element } from '#libs/xml';
import { PresenceHarness } from '../../testing/presence-harness.js';

/**
 * RFC 6121 Appendix A, row by row, with literal stanzas through the running service: the user's
 * item starts in the row's state, one stanza goes in, and the stored state and what was forwarded
 * are checked.
 */
const LIMITS = configSchema.parse({}).edge.limits;
type State = Pick<RosterItem, 'subscription' | 'askOut' | 'askIn'>;
const S: Record<string, State> = {
  None: { subscription: 'none', askOut: false, askIn: false },
  'None + Pending Out': { subscription: 'none', askOut: true, askIn: false },
  'None + Pending In': { subscription: 'none', askOut: false, askIn: true },
  'None + Pending Out+In': { subscription: 'none', askOut: true, askIn: true },
  To: { subscription: 'to', askOut: false, askIn: false },
  'To + Pending In': { subscription: 'to', askOut: false, askIn: true },
  From: { subscription: 'from', askOut: false, askIn: false },
  'From + Pending Out': { subscription: 'from', askOut: true, askIn: false },
  Both: { subscription: 'both', askOut: false, askIn: false },
};
const nameOf = (i: RosterItem | undefined) =>
  Object.entries(S).find(
    ([, s]) => s.subscription === (i?.subscription ?? 'none') && s.askOut === (i?.askOut ?? false) && s.askIn === (i?.askIn ?? false),
  )?.[0];

// [type, before, after, forwarded?] — A.2 (outbound: routed to the contact) and A.3 (inbound: delivered to the user)
const OUTBOUND: [string, string, string, boolean][] = [
  ['subscribe', 'None', 'None + Pending Out', true],
  ['subscribe', 'None + Pending In', 'None + Pending Out+In', true],
  ['subscribe', 'From', 'From + Pending Out', true],
  ['subscribe', 'Both', 'Both', true],
  ['unsubscribe', 'None + Pending Out', 'None', true],
  ['unsubscribe', 'None + Pending Out+In', 'None + Pending In', true],
  ['unsubscribe', 'To', 'None', true],
  ['unsubscribe', 'To + Pending In', 'None + Pending In', true],
  ['unsubscribe', 'From + Pending Out', 'From', true],
  ['unsubscribe', 'Both', 'From', true],
  ['subscribed', 'None + Pending In', 'From', true],
  ['subscribed', 'None + Pending Out+In', 'From + Pending Out', true],
  ['subscribed', 'To + Pending In', 'Both', true],
  ['subscribed', 'From', 'From', false],
  ['subscribed', 'Both', 'Both', false],
  ['unsubscribed', 'None', 'None', false],
  ['unsubscribed', 'None + Pending In', 'None', true],
  ['unsubscribed', 'None + Pending Out+In', 'None + Pending Out', true],
  ['unsubscribed', 'To + Pending In', 'To', true],
  ['unsubscribed', 'From', 'None', true],
  ['unsubscribed', 'From + Pending Out', 'None + Pending Out', true],
  ['unsubscribed', 'Both', 'To', true],
];
const INBOUND: [string, string, string, boolean][] = [
  ['subscribe', 'None', 'None + Pending In', true],
  ['subscribe', 'None + Pending Out', 'None + Pending Out+In', true],
  ['subscribe', 'None + Pending In', 'None + Pending In', false],
  ['subscribe', 'To', 'To + Pending In', true],
  ['subscribe', 'From', 'From', false],
  ['subscribe', 'Both', 'Both', false],
  ['unsubscribe', 'None', 'None', false],
  ['unsubscribe', 'None + Pending In', 'None', true],
  ['unsubscribe', 'None + Pending Out+In', 'None + Pending Out', true],
  ['unsubscribe', 'To + Pending In', 'To', true],
  ['unsubscribe', 'From', 'None', true],
  ['unsubscribe', 'Both', 'To', true],
  ['subscribed', 'None', 'None', false],
  ['subscribed', 'None + Pending Out', 'To', true],
  ['subscribed', 'None + Pending Out+In', 'To + Pending In', true],
  ['subscribed', 'From + Pending Out', 'Both', true],
  ['subscribed', 'Both', 'Both', false],
  ['unsubscribed', 'None', 'None', false],
  ['unsubscribed', 'None + Pending Out', 'None', true],
  ['unsubscribed', 'None + Pending Out+In', 'None + Pending In', true],
  ['unsubscribed', 'To', 'None', true],
  ['unsubscribed', 'To + Pending In', 'None + Pending In', true],
  ['unsubscribed', 'From + Pending Out', 'From', true],
  ['unsubscribed', 'Both', 'From', true],
];

describe('RFC 6121 Appendix A rows with literal stanzas', () => {
  let h: PresenceHarness;
  /** Everything routed so far has reached the fake edges (the acks came first): no fixed sleep. */
  const settle = () => h.delivered();
  let n = 0;
  /** Presence the service routed to local users (the inbound side of an outbound stanza). */
  const routed: Element[] = [];

  before(async () => {
    h = await PresenceHarness.start();
    h.presence.runtime.hooks.on('presence:inbound', ({ stanza }) => void routed.push(stanza.element()), { priority: 100, owner: 'test' });
  });
  after(() => h.close());

  async function setup(state: string): Promise<{ user: string; contact: string; s: SessionInfo }> {
    n++;
    const user = await h.createUser(`u${n}`);
    const contact = await h.createUser(`c${n}`); // offline, with no item for the user: it answers nothing
    await h.storage.rosters.modify(user, contact, () => ({ jid: contact, approved: false, groups: [], name: 'C', ...S[state]! }));
    const s = await h.login(`${user}/pc`);
    await settle();
    h.clear();
    routed.length = 0;
    return { user, contact, s };
  }

  for (const [type, from, to, forwarded] of OUTBOUND) {
    test(`A.2 outbound ${type}: ${from} → ${to}${forwarded ? ', routed' : ''}`, async () => {
      const { user, contact, s } = await setup(from);
      await h.send(s, parseElement(`<presence to="${contact}" type="${type}"/>`, LIMITS));
      await settle();
      assert.equal(nameOf(await h.storage.rosters.getItem(user, contact)), to);
      const out = routed.filter((e) => e.attrs.type === type);
      assert.equal(out.length, forwarded ? 1 : 0);
      if (forwarded) assert.deepEqual([out[0]!.attrs.from, out[0]!.attrs.to], [user, contact]);
    });
  }

  for (const [type, from, to, delivered] of INBOUND) {
    test(`A.3 inbound ${type}: ${from} → ${to}${delivered ? ', delivered' : ''}`, async () => {
      const { user, contact, s } = await setup(from);
      await h.inbound(parseElement(`<presence from="${contact}/x" to="${user}" type="${type}"/>`, LIMITS));
      await settle();
      assert.equal(nameOf(await h.storage.rosters.getItem(user, contact)), to);
      const got = h.for(s).filter((e) => e.name === 'presence' && e.attrs.type === type);
      assert.equal(got.length, delivered ? 1 : 0);
      if (delivered) assert.equal(got[0]!.attrs.from, contact, 'stamped with the bare JID');
      if (type === 'subscribe' && !delivered && from !== 'None + Pending In') {
        assert.ok(
          routed.some((e) => e.attrs.type === 'subscribed' && e.attrs.to === contact),
          'auto-replied subscribed',
        );
      }
    });
  }
});
