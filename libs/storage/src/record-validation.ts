import type { Account, ScramCredential } from './ports/accounts.repository.js';
import { StorageRecordError } from './ports/errors.js';
import type { RosterItem, Subscription } from './ports/rosters.repository.js';

/**
 * Shape checks for records read back from any backend: a record that fails (corrupted, or written by
 * a newer schema) becomes a StorageRecordError naming it, and only that record fails.
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const SUBSCRIPTIONS: readonly Subscription[] = ['none', 'to', 'from', 'both'];

export function parseJsonRecord(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StorageRecordError(`${what}: not valid JSON`);
  }
}

function scramCredential(v: unknown, what: string): ScramCredential {
  if (
    !isObj(v) ||
    typeof v.salt !== 'string' ||
    typeof v.storedKey !== 'string' ||
    typeof v.serverKey !== 'string' ||
    typeof v.iterations !== 'number' ||
    !Number.isInteger(v.iterations) ||
    v.iterations < 1
  ) {
    throw new StorageRecordError(`${what}: malformed SCRAM credential`);
  }
  return { salt: v.salt, iterations: v.iterations, storedKey: v.storedKey, serverKey: v.serverKey };
}

export function validateScram(v: unknown, what: string): Account['scram'] {
  if (!isObj(v)) throw new StorageRecordError(`${what}: malformed SCRAM credentials`);
  return { 'SHA-1': scramCredential(v['SHA-1'], what), 'SHA-256': scramCredential(v['SHA-256'], what) };
}

export function validateRosterItem(v: unknown, what: string): RosterItem {
  if (
    !isObj(v) ||
    typeof v.jid !== 'string' ||
    !SUBSCRIPTIONS.includes(v.subscription as Subscription) ||
    typeof v.askOut !== 'boolean' ||
    typeof v.askIn !== 'boolean' ||
    typeof v.approved !== 'boolean' ||
    !Array.isArray(v.groups) ||
    !v.groups.every((g) => typeof g === 'string') ||
    (v.name !== undefined && typeof v.name !== 'string') ||
    (v.pendingInStanza !== undefined && typeof v.pendingInStanza !== 'string')
  ) {
    throw new StorageRecordError(`${what}: malformed roster item`);
  }
  const item: RosterItem = {
    jid: v.jid,
    subscription: v.subscription as Subscription,
    askOut: v.askOut,
    askIn: v.askIn,
    approved: v.approved,
    groups: [...v.groups],
  };
  if (v.name !== undefined) item.name = v.name;
  if (v.pendingInStanza !== undefined) item.pendingInStanza = v.pendingInStanza;
  return item;
}

/** The stored form of a roster item: only known fields, undefined ones left out. */
export function rosterItemRecord(item: RosterItem): RosterItem {
  return validateRosterItem(JSON.parse(JSON.stringify(item)), `roster item ${item.jid}`);
}
