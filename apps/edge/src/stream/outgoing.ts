/**
 * What becomes of a stanza handed to a stream with `stream.deliver()`. Every stanza is settled
 * exactly once with a final outcome; a stanza a `stanza-out` handler holds (CSI, stream management)
 * is first reported `held`, and settled later:
 *
 * - `written`: handed to the connection (the socket or WebSocket took the bytes);
 * - `stored`: a `stanza-out` handler stored it durably outside the process and owns it now
 *   (stream management's resumable queue);
 * - `dropped`: a `stanza-out` handler dropped it, saying why (`by` names the feature);
 * - `unwritten`: the stream closed, or cut a client that does not read, before writing it. The
 *   caller still owns the stanza and re-routes it (RFC 6121 §8: another resource, offline storage,
 *   or an error to the sender).
 */
export type Outcome = Written | Held | Stored | Dropped | Unwritten;

export interface Written {
  readonly kind: 'written';
}
/** Not final: a handler keeps the stanza for now; `written`, `stored`, `dropped` or `unwritten` follows. */
export interface Held {
  readonly kind: 'held';
  readonly by: string;
  /**
   * The holder is storing it where any edge can find it (XEP-0198's resumable queue): the caller
   * should not count it as taken yet; `stored` (or `unwritten`) follows.
   */
  readonly untilStored?: boolean;
}
/**
 * Final: a handler stored the stanza durably outside this process and owns it from now on (stream
 * management writes it, replays it on another edge after a resume, or hands it to offline storage
 * when the session times out). The caller is done with it.
 */
export interface Stored {
  readonly kind: 'stored';
  readonly by: string;
}
export interface Dropped {
  readonly kind: 'dropped';
  readonly by: string;
  readonly reason: string;
}
export interface Unwritten {
  readonly kind: 'unwritten';
  readonly reason: UnwrittenReason;
}

/**
 * `closing`: the stream was closing (stream error, our close, the client's close) when the stanza
 * came or while it waited; `closed`: the connection was gone; `cut`: the client stopped reading
 * and its queue passed edge.limits.maxWriteBufferBytes (a `<policy-violation/>` followed).
 */
export type UnwrittenReason = 'closing' | 'closed' | 'cut';

/**
 * Receives a stanza's outcome, with the `meta` given to `deliver()` (so one function can serve every
 * delivery: no closure per stanza). Called synchronously inside `deliver()` when the outcome is
 * known at once (the common case: written), else later; at most once with `held`, exactly once
 * with a final outcome. It must not throw (a throw is logged and ignored).
 */
export type Settle<M = StanzaMeta | undefined> = (outcome: Outcome, meta: M) => void;

/**
 * What a `stanza-out` handler may read without parsing a serialised stanza: the bus envelope's
 * fields (a `StanzaEnvelope` is one, so a delivery passes its envelope as is).
 */
export interface StanzaMeta {
  /** MESSAGE | PRESENCE | IQ (the bus's StanzaKind), or the element name. */
  readonly kind?: string;
  readonly type?: string;
  readonly id?: string;
  readonly to?: string;
  readonly from?: string;
  /** A delivery its sender wants acknowledged once written, not before (an offline flush paces itself on it). */
  readonly ackWhenWritten?: boolean;
  /** The sender's key for it (its route lane's), kept with it in a resumable queue (XEP-0198). */
  readonly sessionKey?: string;
}

export const WRITTEN: Written = Object.freeze({ kind: 'written' });
export const UNWRITTEN: Readonly<Record<UnwrittenReason, Unwritten>> = Object.freeze({
  closing: Object.freeze({ kind: 'unwritten', reason: 'closing' }),
  closed: Object.freeze({ kind: 'unwritten', reason: 'closed' }),
  cut: Object.freeze({ kind: 'unwritten', reason: 'cut' }),
});

export function isFinal(outcome: Outcome): boolean {
  return outcome.kind !== 'held';
}

/** Calls a caller's Settle; a throwing one must not break the stream's write loop. */
export function settleSafely<M>(settle: Settle<M> | undefined, outcome: Outcome, meta: M, log: { error(obj: object, msg: string): void }): void {
  if (!settle) return;
  try {
    settle(outcome, meta);
  } catch (err) {
    log.error({ err, outcome: outcome.kind }, 'a stanza outcome callback threw');
  }
}
