import { FormError, NS, StanzaError, dataForm, readSubmittedForm, type FormDefinition } from '#libs/stanza';
import type { MucAffiliationEntry } from '#libs/storage';
import { xml } from '#libs/xml';
import type { FeatureDefinition, IqAnswer } from '#libs/xmpp-kit';
import type { Room } from '../../core/room.js';
import type { MucContext, MucIqRequest } from '../../muc.context.js';
import { checkNick, nickTaken } from '../xep-0045-muc/enter.js';
import { occupantPresence, toEveryone } from '../xep-0045-muc/presence-out.js';

export const MUC_REGISTER = 'http://jabber.org/protocol/muc#register';

/** §7.10 example 71 / the §16.5.1 muc#register registry: the nickname is the one required field. */
const REGISTER_FORM: FormDefinition = {
  formType: MUC_REGISTER,
  title: 'Room registration',
  instructions: 'Reserve a nickname in this room: nobody else may enter under it, and you become a member.',
  fields: [
    { var: 'muc#register_first', type: 'text-single', label: 'Given Name' },
    { var: 'muc#register_last', type: 'text-single', label: 'Family Name' },
    { var: 'muc#register_roomnick', type: 'text-single', label: 'Desired Nickname', required: true },
    { var: 'muc#register_url', type: 'text-single', label: 'Your URL' },
    { var: 'muc#register_email', type: 'text-single', label: 'Email Address' },
    { var: 'muc#register_faqentry', type: 'text-multi', label: 'FAQ Entry' },
  ],
};

/**
 * XEP-0045 1.35 §7.10 (registering with a room, jabber:iq:register + the muc#register form) and
 * §7.12 (the reserved nick, found with disco node x-roomuser-item in xep-0045-muc/disco.ts). A
 * registration reserves the nick in the room's affiliation list (`MucAffiliationEntry.nick`, stored
 * with the room) and makes the user a member, which also admits them to a members-only room
 * (§7.2.7) — so in a members-only room only users already affiliated may register (§9.3: admins add
 * members). XEP-0077 `<remove/>` gives the nick back (and the membership it brought).
 */
export const registrationFeature: FeatureDefinition<MucContext> = {
  name: 'muc-registration',
  spec: { xep: 45, version: '1.35' },
  discoFeatures: [NS.register],
  dependsOn: ['muc'],
  setup(ctx) {
    const owner = 'xep-0045-register';
    return [
      ctx.roomIq.register('get', NS.register, (req) => describe(req), { server: true }, owner),
      ctx.roomIq.register('set', NS.register, (req) => register(ctx, req), { server: true }, owner),
    ];
  },
};

function registrable(req: MucIqRequest): Room | StanzaError {
  const room = req.room;
  if (!room || room.record.locked) return new StanzaError('item-not-found', { text: 'no such room' });
  const affiliation = room.affiliationOf(req.from.bare().toString());
  if (affiliation === 'outcast') return new StanzaError('forbidden', { type: 'auth', text: 'you are banned from this room' });
  return room;
}

/** §7.10: the form, or `<registered/>` with the reserved nick for a user who holds one. */
function describe(req: MucIqRequest): IqAnswer {
  const room = registrable(req);
  if (room instanceof StanzaError) return room;
  const entry = ownEntry(room, req.from.bare().toString());
  const q = xml('query', { xmlns: NS.register });
  if (entry?.nick) {
    q.append(xml('registered'));
    q.append(xml('username', {}, entry.nick));
    return q;
  }
  if (room.config.membersOnly && room.affiliationOf(req.from.bare().toString()) === 'none')
    return new StanzaError('registration-required', { text: 'members only: an admin adds members to this room (§7.2.7, §9.3)' });
  q.append(xml('instructions', {}, REGISTER_FORM.instructions));
  q.append(dataForm('form', REGISTER_FORM));
  return q;
}

function register(ctx: MucContext, req: MucIqRequest): IqAnswer {
  const room = registrable(req);
  if (room instanceof StanzaError) return room;
  const bare = req.from.bare().toString();
  if (req.payload.getChild('remove')) return unregister(room, bare);
  const affiliation = room.affiliationOf(bare);
  if (room.config.membersOnly && affiliation === 'none')
    return new StanzaError('registration-required', { text: 'members only: an admin adds members to this room (§7.2.7, §9.3)' });
  let values;
  try {
    values = readSubmittedForm(req.payload.getChild('x', NS.xdata), REGISTER_FORM);
  } catch (err) {
    // §7.10: a form without the required nickname (or otherwise wrong) is not acceptable.
    if (err instanceof FormError) return new StanzaError(/required/.test(err.message) ? 'not-acceptable' : 'bad-request', { text: err.message });
    throw err;
  }
  const checked = checkNick(ctx, values.get('muc#register_roomnick')![0]!);
  if (checked instanceof StanzaError) return checked;
  // §7.10: a nick another user reserved (or is in the room under) → conflict.
  if (nickTaken(room, checked.key, bare)) return new StanzaError('conflict', { text: 'that nickname is reserved or in use (§7.10)' });
  // the nick lives in the user's own entry (one affiliated only through their domain, §5.2, gets one)
  if (!ownEntry(room, bare)) room.setAffiliation(bare, affiliation === 'none' ? 'member' : affiliation);
  setNick(room, bare, checked.nick);
  if (affiliation === 'none') announceMembership(ctx, req, room, bare);
  return undefined;
}

/** §9.3: an occupant who became a member is shown so (a visitor in a moderated room gains voice, §5.1.2). */
function announceMembership(ctx: MucContext, req: MucIqRequest, room: Room, bare: string): void {
  const occ = room.byBare(bare);
  if (!occ) return;
  if (occ.role === 'visitor') occ.role = 'participant';
  room.changedOccupant(occ);
  toEveryone(room, (to, viewer) => req.out.send(occupantPresence(ctx, room, occ, { viewer, self: viewer === occ }), to));
}

function unregister(room: Room, bare: string): IqAnswer {
  const entry = ownEntry(room, bare);
  if (!entry?.nick) return new StanzaError('item-not-found', { text: 'you have no registration in this room' });
  setNick(room, bare, undefined);
  if (entry.affiliation === 'member' && !room.config.membersOnly) room.setAffiliation(bare, 'none');
  return undefined;
}

/** The user's own affiliation entry (not a domain-wide one, §5.2: a nick is one user's). */
function ownEntry(room: Room, bare: string): MucAffiliationEntry | undefined {
  return room.record.affiliations.find((a) => a.jid === bare);
}

function setNick(room: Room, bare: string, nick: string | undefined): void {
  const affiliations = room.record.affiliations.map((a) => {
    if (a.jid !== bare) return a;
    const { nick: _old, ...rest } = a;
    return nick === undefined ? rest : { ...rest, nick };
  });
  room.record = { ...room.record, affiliations };
  room.changedRecord();
}
