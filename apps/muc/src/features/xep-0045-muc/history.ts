import { delayElement } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { HistoryEntry } from '../../core/room-state.js';
import type { Room } from '../../core/room.js';
import type { MucContext } from '../../muc.context.js';

/** XEP-0045 §7.2.14 history request: each absent attribute puts no limit. */
export interface HistoryRequest {
  maxchars?: number;
  maxstanzas?: number;
  seconds?: number;
  since?: number;
}

function nonNegative(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function readHistoryRequest(history: Element | undefined): HistoryRequest {
  if (!history) return {};
  const since = history.attrs.since ? Date.parse(history.attrs.since) : NaN;
  const req: HistoryRequest = {};
  const maxchars = nonNegative(history.attrs.maxchars);
  const maxstanzas = nonNegative(history.attrs.maxstanzas);
  const seconds = nonNegative(history.attrs.seconds);
  if (maxchars !== undefined) req.maxchars = maxchars;
  if (maxstanzas !== undefined) req.maxstanzas = maxstanzas;
  if (seconds !== undefined) req.seconds = seconds;
  if (!Number.isNaN(since)) req.since = since;
  return req;
}

/** The entries to send, oldest first: the newest that satisfy every limit at once (§7.2.14). */
export function selectHistory(entries: readonly HistoryEntry[], req: HistoryRequest, now: number): HistoryEntry[] {
  const picked: HistoryEntry[] = [];
  let chars = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (req.maxstanzas !== undefined && picked.length >= req.maxstanzas) break;
    if (req.seconds !== undefined && e.at < now - req.seconds * 1000) break;
    if (req.since !== undefined && e.at <= req.since) break;
    if (req.maxchars !== undefined && chars + e.chars > req.maxchars) break;
    chars += e.chars;
    picked.push(e);
  }
  return picked.reverse();
}

/**
 * Keeps a broadcast groupchat message (sequence number `seq`) for later joiners, within the room's
 * length and the byte cap; `text` is the stanza serialized once (the broadcast reuses it).
 */
export function remember(ctx: MucContext, room: Room, text: string, at: number, seq: number): void {
  const history = room.live.history;
  history.push({ seq, xml: text, at, chars: text.length });
  let bytes = 0;
  for (const e of history) bytes += e.chars;
  let drop = 0;
  while (history.length - drop > room.config.historyLength || (bytes > ctx.muc.maxHistoryBytes && history.length - drop > 0)) bytes -= history[drop++]!.chars;
  if (drop > 0) history.splice(0, drop);
  room.changedMessage(seq);
}

/** Sends history (§7.2.14) to one session: each message with a delay stamped by the room. */
export function sendHistory(ctx: MucContext, room: Room, to: string, req: HistoryRequest, send: (el: Element, to: string) => void): void {
  for (const e of selectHistory(room.live.history, req, Date.now())) {
    let el: Element;
    try {
      el = ctx.parseXml(e.xml);
    } catch {
      continue;
    }
    el.append(delayElement(room.jid, new Date(e.at)));
    send(el, to);
  }
}
