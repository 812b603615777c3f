import { keys } from '#libs/bus';
import type { HistoryEntry, LiveState, Occupant, RecentMessage } from './room-state.js';

/**
 * How a room's live state is laid out in the bus KV (buckets.mucRooms), so that what a frame writes
 * does not grow with the room (issue 12: a join used to re-write every occupant):
 *
 * - `<room>` — the head: `{ v: 2, gen, seq, ops }`. Every frame that changes the live state writes it
 *   with compare-and-set on the revision its replica read (the one commit point, as the single value
 *   was before: a replica that lost the room cannot commit over the new owner). `ops` is what that
 *   frame changed (its occupants and messages, O(frame) bytes), `gen` counts commits, `seq` is the
 *   last message sequence number.
 * - `<room>.o.<occupant id>` — one occupant `{ gen, occ }` (roles, nick, sessions with presence).
 * - `<room>.m.<slot>` — one kept message `{ gen, msg }` (history entry and/or resend record) in a
 *   ring of `ringSize` slots (slot = seq mod ringSize), overwritten as the room talks.
 *
 * A frame commits the head first, then writes its ops to those keys ("materializes" them). A replica
 * that dies in between leaves keys behind the head: the next owner reads the head, then the keys,
 * and re-applies the head's ops to every key older than it (its `gen`), so the state it rebuilds is
 * exactly the committed one (docs/reliability.md).
 */
export const LIVE_VERSION = 2;

/** A kept groupchat message as stored: its history entry's fields and/or its resend record's. */
export interface MessageRecord {
  seq: number;
  at: number;
  /** In the history (HistoryEntry): the broadcast stanza and its length. */
  xml?: string;
  chars?: number;
  /** In the resend window (RecentMessage): sender and origin-id, and the stanza-id it got. */
  key?: string;
  id?: string;
}

export type LiveOp = { o: string; occ: Occupant | null } | { m: number; msg: MessageRecord };

export interface LiveHead {
  v: typeof LIVE_VERSION;
  gen: number;
  seq: number;
  ops: LiveOp[];
}

/** What a materialized key holds. */
export interface OccupantValue {
  gen: number;
  occ: Occupant;
}
export interface MessageValue {
  gen: number;
  msg: MessageRecord;
}

export const liveKeys = {
  head: (room: string): string => keys.mucRoom(room),
  /** Every key of the room but its head. */
  parts: (room: string): string => `${keys.mucRoom(room)}.>`,
  occupant: (room: string, id: string): string => `${keys.mucRoom(room)}.o.${id}`,
  slot: (room: string, slot: number): string => `${keys.mucRoom(room)}.m.${slot}`,
};

/** Slots of the message ring: enough for the longest history and the resend window. */
export function ringSize(maxHistoryLength: number, resendWindow: number): number {
  return Math.max(maxHistoryLength, resendWindow, 1);
}

/** The stored record of message `seq`, from its history entry and its resend record (undefined when neither is kept). */
export function messageRecord(live: LiveState, seq: number): MessageRecord | undefined {
  const h = findSeq(live.history, seq);
  const r = live.recent ? findSeq(live.recent, seq) : undefined;
  if (!h && !r) return undefined;
  const rec: MessageRecord = { seq, at: (h ?? r)!.at };
  if (h) {
    rec.xml = h.xml;
    rec.chars = h.chars;
  }
  if (r) {
    rec.key = r.key;
    rec.id = r.id;
  }
  return rec;
}

function findSeq<T extends { seq: number }>(list: readonly T[], seq: number): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.seq === seq) return list[i];
  return undefined;
}

/** The limits the rebuilt history and resend window are cut to (as `remember`/`rememberTaken` cut them). */
export interface RebuildLimits {
  historyLength: number;
  maxHistoryBytes: number;
  resendWindow: number;
}

/**
 * The live state from the committed occupants and messages (head's ops already applied): occupants
 * in the order they were seated, the newest messages within the limits, oldest first.
 */
export function rebuild(occupants: Iterable<Occupant>, messages: Iterable<MessageRecord>, seq: number, limits: RebuildLimits): LiveState {
  const seated = [...occupants].sort((a, b) => a.seat - b.seat);
  const msgs = [...messages].filter((m) => m.seq <= seq).sort((a, b) => a.seq - b.seq);
  const history: HistoryEntry[] = [];
  let bytes = 0;
  for (let i = msgs.length - 1; i >= 0 && history.length < limits.historyLength; i--) {
    const m = msgs[i]!;
    if (m.xml === undefined) continue;
    const chars = m.chars ?? m.xml.length;
    if (bytes + chars > limits.maxHistoryBytes) break;
    bytes += chars;
    history.push({ seq: m.seq, xml: m.xml, at: m.at, chars });
  }
  history.reverse();
  const keyed = msgs.filter((m) => m.key !== undefined && m.id !== undefined);
  const recent: RecentMessage[] = (limits.resendWindow > 0 ? keyed.slice(-limits.resendWindow) : []).map((m) => ({
    seq: m.seq,
    key: m.key!,
    id: m.id!,
    at: m.at,
  }));
  const live: LiveState = { occupants: seated, history, seq };
  if (limits.resendWindow > 0 && recent.length > 0) live.recent = recent;
  return live;
}

/**
 * A live state written by the first layout (one JSON value per room, before issue 12's rework):
 * its occupants get ids and seats, its messages sequence numbers; the caller writes it all once in
 * the new layout.
 */
export function fromSingleValue(
  old: { occupants?: Omit<Occupant, 'id' | 'seat'>[]; history?: Omit<HistoryEntry, 'seq'>[]; recent?: Omit<RecentMessage, 'seq'>[] },
  newId: () => string,
): LiveState {
  const occupants = (old.occupants ?? []).map((o, i, all) => ({ ...o, id: newId(), seat: i - all.length }));
  let seq = 0;
  const history = (old.history ?? []).map((h) => ({ ...h, seq: ++seq }));
  const recent = (old.recent ?? []).map((r) => ({ ...r, seq: ++seq }));
  const live: LiveState = { occupants, history, seq };
  if (recent.length > 0) live.recent = recent;
  return live;
}
