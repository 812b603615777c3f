import { tryParseJid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import type { MucAffiliation } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { IqAnswer } from '#libs/xmpp-kit';
import { affiliationRank, defaultRole, type MucRole, type Occupant } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { MucContext, MucIqRequest } from '../../muc.context.js';
import { removeOccupant } from './presence.js';
import { STATUS, occupantPresence, toEveryone } from './presence-out.js';

const ROLES = new Set(['moderator', 'participant', 'visitor', 'none']);
const AFFILIATIONS = new Set(['owner', 'admin', 'member', 'outcast', 'none']);

type Change =
  | { kind: 'role'; target: Occupant; role: MucRole; reason?: string }
  | { kind: 'affiliation'; jid: string; affiliation: MucAffiliation | 'none'; reason?: string };

/** §9.5/§9.8/§10.5/§10.8 affiliation lists (admins and owners), §8.5/§9.11 role lists (moderators). */
export function getAdmin(req: MucIqRequest): IqAnswer {
  const room = req.room;
  if (!room) return new StanzaError('item-not-found', { text: 'no such room' });
  const item = req.payload.getChild('item');
  const bare = req.from.bare().toString();
  const mine = room.affiliationOf(bare);
  const me = room.bySession(req.from.toString());
  const query = xml('query', { xmlns: NS.mucAdmin });
  if (item?.attrs.affiliation && AFFILIATIONS.has(item.attrs.affiliation) && item.attrs.affiliation !== 'none') {
    const wanted = item.attrs.affiliation as MucAffiliation;
    // Members may see the member list of a members-only room (§9.5 leaves it to the service).
    const allowed = affiliationRank(mine) >= affiliationRank('admin') || (wanted === 'member' && mine === 'member');
    if (!allowed) return new StanzaError('forbidden', { type: 'auth', text: 'only admins and owners read affiliation lists (§9.5)' });
    for (const a of room.withAffiliation(wanted)) {
      const el = xml('item', { affiliation: a.affiliation, jid: a.jid, ...(a.nick ? { nick: a.nick } : {}) });
      if (a.reason) el.append(xml('reason', {}, a.reason));
      query.append(el);
    }
    return query;
  }
  if (item?.attrs.role && ROLES.has(item.attrs.role) && item.attrs.role !== 'none') {
    if (me?.role !== 'moderator') return new StanzaError('forbidden', { type: 'auth', text: 'only moderators read role lists (§8.5)' });
    for (const o of room.live.occupants) {
      if (o.role === item.attrs.role)
        query.append(xml('item', { role: o.role, nick: o.nick, affiliation: room.affiliationOf(o.bare), jid: o.sessions.at(-1)?.jid ?? o.bare }));
    }
    return query;
  }
  return new StanzaError('bad-request', { text: 'ask for one affiliation or one role (§9.5, §8.5)' });
}

/**
 * §8 (roles: kick, voice, moderator) and §9/§10 (affiliations: ban, member, admin, owner). Every
 * item is checked against the requester's privileges before any is applied, so a request is done
 * whole or not at all.
 */
export function setAdmin(ctx: MucContext, req: MucIqRequest): IqAnswer {
  const room = req.room;
  if (!room) return new StanzaError('item-not-found', { text: 'no such room' });
  const me = room.bySession(req.from.toString());
  const myAffiliation = room.affiliationOf(req.from.bare().toString());
  const changes: Change[] = [];
  const items = req.payload.getChildren('item');
  if (items.length === 0) return new StanzaError('bad-request', { text: 'no item' });
  for (const item of items) {
    const change = readItem(room, item);
    if (change instanceof StanzaError) return change;
    const refused = mayApply(room, change, me, myAffiliation);
    if (refused) return refused;
    changes.push(change);
  }
  const owners = new Set(room.withAffiliation('owner').map((a) => a.jid));
  for (const c of changes) {
    if (c.kind !== 'affiliation') continue;
    if (c.affiliation === 'owner') owners.add(c.jid);
    else owners.delete(c.jid);
  }
  if (owners.size === 0) return new StanzaError('conflict', { text: 'a room keeps at least one owner (§10.6)' });
  for (const c of changes) apply(ctx, req, room, c, me);
  return undefined;
}

function readItem(room: Room, item: Element): Change | StanzaError {
  const reason = item.getChildText('reason');
  const withReason = <T extends object>(c: T): T & { reason?: string } => (reason ? { ...c, reason } : c);
  if (item.attrs.affiliation !== undefined) {
    if (!AFFILIATIONS.has(item.attrs.affiliation)) return new StanzaError('bad-request', { text: `unknown affiliation ${item.attrs.affiliation}` });
    let jid = tryParseJid(item.attrs.jid ?? '')
      ?.bare()
      .toString();
    if (!jid && item.attrs.nick) jid = room.byNick(item.attrs.nick)?.bare;
    if (!jid) return new StanzaError(item.attrs.nick ? 'item-not-found' : 'bad-request', { text: 'an affiliation change names a JID (§9.1)' });
    return withReason({ kind: 'affiliation' as const, jid, affiliation: item.attrs.affiliation as MucAffiliation | 'none' });
  }
  if (item.attrs.role !== undefined) {
    if (!ROLES.has(item.attrs.role)) return new StanzaError('bad-request', { text: `unknown role ${item.attrs.role}` });
    const target = item.attrs.nick ? room.byNick(item.attrs.nick) : undefined;
    if (!target) return new StanzaError('item-not-found', { text: `nobody is called ${item.attrs.nick ?? ''} here (§8.2)` });
    return withReason({ kind: 'role' as const, target, role: item.attrs.role as MucRole });
  }
  return new StanzaError('bad-request', { text: 'an item changes a role or an affiliation' });
}

function mayApply(room: Room, c: Change, me: Occupant | undefined, mine: MucAffiliation | 'none'): StanzaError | undefined {
  const notAllowed = (text: string) => new StanzaError('not-allowed', { text });
  const forbidden = (text: string) => new StanzaError('forbidden', { type: 'auth', text });
  if (c.kind === 'role') {
    if (me?.role !== 'moderator') return forbidden('only moderators change roles (§8)');
    const theirs = room.affiliationOf(c.target.bare);
    if (c.role === 'moderator' || c.target.role === 'moderator') {
      if (affiliationRank(mine) < affiliationRank('admin')) return notAllowed('only admins grant or revoke moderation (§9.6)');
    }
    // §8.2/§8.4/§9.7: nobody kicks, silences or demotes an admin or owner, nor someone above themselves.
    if (c.role !== 'moderator' && affiliationRank(theirs) >= affiliationRank('admin'))
      return notAllowed('admins and owners keep their moderator role (§8.2, §9.7)');
    if (c.role === 'none' && affiliationRank(theirs) > affiliationRank(mine)) return notAllowed('you cannot kick someone above you (§8.2)');
    return undefined;
  }
  const theirs = room.affiliationOf(c.jid);
  if (affiliationRank(mine) < affiliationRank('admin')) return forbidden('only admins and owners change affiliations (§9)');
  const ownerOnly = c.affiliation === 'owner' || c.affiliation === 'admin' || theirs === 'owner' || theirs === 'admin';
  if (ownerOnly && mine !== 'owner') return notAllowed('only owners grant or revoke admin and owner (§10.3)');
  return undefined;
}

function apply(ctx: MucContext, req: MucIqRequest, room: Room, c: Change, me: Occupant | undefined): void {
  const item: { actor?: string; reason?: string } = {};
  if (me) item.actor = me.nick;
  if (c.reason) item.reason = c.reason;
  if (c.kind === 'role') {
    if (c.role === 'none') return removeOccupant(ctx, req, room, c.target, [STATUS.kicked], item);
    c.target.role = c.role;
    room.changedOccupant(c.target);
    return announce(ctx, req, room, c.target, item);
  }
  room.setAffiliation(c.jid, c.affiliation, c.reason);
  const occ = room.byBare(c.jid);
  if (!occ) return;
  if (c.affiliation === 'outcast') return removeOccupant(ctx, req, room, occ, [STATUS.banned], item);
  if (c.affiliation === 'none' && room.config.membersOnly) return removeOccupant(ctx, req, room, occ, [STATUS.affiliationRemoved], item);
  occ.role = defaultRole(c.affiliation, room.config.moderated);
  room.changedOccupant(occ);
  announce(ctx, req, room, occ, item);
}

/** §8.3/§9.3: the occupant's presence with its new role or affiliation, to everyone. */
function announce(ctx: MucContext, req: MucIqRequest, room: Room, occ: Occupant, item: { actor?: string; reason?: string }): void {
  toEveryone(room, (to, viewer) => req.out.send(occupantPresence(ctx, room, occ, { viewer, self: viewer === occ, item }), to));
}
