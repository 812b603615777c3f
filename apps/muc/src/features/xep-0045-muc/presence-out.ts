import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { Occupant } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { Outbox } from '../../core/outbox.js';
import type { MucContext } from '../../muc.context.js';

/** XEP-0045 §15.6 status codes this service sends. */
export const STATUS = {
  nonAnonymous: 100,
  self: 110,
  logging: 170,
  created: 201,
  nickModified: 210,
  banned: 301,
  nickChanged: 303,
  kicked: 307,
  affiliationRemoved: 321,
  membersOnlyRemoved: 322,
  shutdown: 332,
  error: 333,
  configChanged: 104,
  nowNonAnonymous: 172,
  nowSemiAnonymous: 173,
} as const;

export interface ItemExtras {
  /** §7.6: the new nick in an unavailable presence with 303. */
  nick?: string;
  actor?: string;
  reason?: string;
}

/**
 * The presence an occupant shows `viewer` (XEP-0045 §7.2.3): its own last presence (show, status,
 * caps) from room@service/nick, with a muc#user item carrying affiliation and role, the real JID
 * when the viewer may see it, and the status codes. `viewerIsSelf` adds 110.
 */
export function occupantPresence(
  ctx: MucContext,
  room: Room,
  occ: Occupant,
  opts: { viewer: Occupant | undefined; self: boolean; statuses?: number[]; unavailable?: boolean; item?: ItemExtras; destroy?: Element },
): Element {
  const base = opts.unavailable ? xml('presence', { type: 'unavailable' }) : lastPresence(ctx, occ);
  base.attrs.from = room.occupantJid(occ);
  delete base.attrs.to;
  delete base.attrs.id;
  const itemAttrs: Record<string, string> = { affiliation: room.affiliationOf(occ.bare), role: opts.unavailable ? 'none' : occ.role };
  if (opts.self || room.realJidsVisibleTo(opts.viewer)) itemAttrs.jid = occ.sessions.at(-1)?.jid ?? occ.bare;
  if (opts.item?.nick) itemAttrs.nick = opts.item.nick;
  const item = xml('item', itemAttrs);
  if (opts.item?.actor) item.append(xml('actor', { nick: opts.item.actor }));
  if (opts.item?.reason) item.append(xml('reason', {}, opts.item.reason));
  const x = xml('x', { xmlns: NS.mucUser }, item);
  if (opts.destroy) x.append(opts.destroy);
  const codes = new Set(opts.statuses ?? []);
  if (opts.self) {
    codes.add(STATUS.self);
    if (room.config.whois === 'anyone' && !opts.unavailable) codes.add(STATUS.nonAnonymous);
  }
  for (const code of [...codes].sort((a, b) => a - b)) x.append(xml('status', { code: String(code) }));
  base.append(x);
  ctx.hooks.handlers('occupant-stanza')?.forEach((h) => void h.handler({ synchronousHook: true, room, occupant: occ, el: base }));
  return base;
}

/** The occupant's newest session's own presence, without anything the room adds. */
function lastPresence(ctx: MucContext, occ: Occupant): Element {
  const text = occ.sessions.at(-1)?.presence;
  if (!text) return xml('presence');
  try {
    return ctx.parseXml(text);
  } catch {
    return xml('presence');
  }
}

/** What of a client's presence the room keeps and repeats (§7.2.3): everything but MUC's own elements. */
export function storablePresence(el: Element): string {
  const copy = xml('presence', el.attrs.type && el.attrs.type !== 'available' ? { type: el.attrs.type } : {});
  for (const child of el.elements()) {
    if (child.is('x', NS.muc) || child.is('x', NS.mucUser) || child.is('occupant-id', 'urn:xmpp:occupant-id:0')) continue;
    copy.append(child.clone());
  }
  return copy.toString();
}

export type PresenceOpts = Parameters<typeof occupantPresence>[3];

/**
 * `occ`'s presence to every session in the room, built once per kind of viewer — itself (110,
 * `selfStatuses`), those who see real JIDs, those who do not (§7.2.3) — and serialized once per
 * kind (Outbox.sendToAll): a join to a room of 1,000 built and wrote 1,000 presences. `skip` leaves
 * sessions out; `edit` finishes each kind's stanza.
 */
export function presenceToEveryone(
  ctx: MucContext,
  out: Outbox,
  room: Room,
  occ: Occupant,
  opts: Omit<PresenceOpts, 'viewer' | 'self'> & { selfStatuses?: number[] },
  skip?: (to: string, viewer: Occupant) => boolean,
  edit?: (el: Element) => void,
): void {
  const groups = { self: [] as string[], visible: [] as string[], hidden: [] as string[] };
  let visibleViewer: Occupant | undefined;
  let hiddenViewer: Occupant | undefined;
  toEveryone(room, (to, viewer) => {
    if (skip?.(to, viewer)) return;
    if (viewer === occ) groups.self.push(to);
    else if (room.realJidsVisibleTo(viewer)) {
      visibleViewer ??= viewer;
      groups.visible.push(to);
    } else {
      hiddenViewer ??= viewer;
      groups.hidden.push(to);
    }
  });
  const { selfStatuses, ...common } = opts;
  const build = (viewer: Occupant | undefined, self: boolean): Element => {
    const el = occupantPresence(ctx, room, occ, { ...common, viewer, self, ...(self && selfStatuses ? { statuses: selfStatuses } : {}) });
    edit?.(el);
    return el;
  };
  if (groups.self.length > 0) out.sendToAll(build(occ, true), groups.self);
  if (groups.visible.length > 0) out.sendToAll(build(visibleViewer, false), groups.visible);
  if (groups.hidden.length > 0) out.sendToAll(build(hiddenViewer, false), groups.hidden);
}

/** Sends `el` (built per recipient by `make`) to every session of every occupant. */
export function toEveryone(room: Room, send: (to: string, viewer: Occupant) => void): void {
  for (const o of room.live.occupants) for (const s of o.sessions) send(s.jid, o);
}
