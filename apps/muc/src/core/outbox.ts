import type { Delivery, DeliveryOutcome, SessionTarget, SharedStanza, StanzaEnvelope } from '#libs/bus';
import { SESSION_GONE, copyFor, envelopeOf, sharedStanzaOf } from '#libs/bus';
import type { SessionRegistry } from '#libs/sessions';
import type { Element } from '#libs/xml';

/** One stanza serialized once for many recipients: each copy is its bytes with ` to="…"` put in. */
interface Shared extends SharedStanza {
  el: Element;
}

interface Item {
  to: string;
  /** The stanza (its own), or the stanza shared with other items (serialized once: sendToAll). */
  el?: Element;
  shared?: Shared;
  /** Edges write a stanza with this key to a session at most once (StanzaEnvelope.dedupe_key). */
  dedupeKey?: string;
}

/** How a frame's deliveries ended: sessions found gone, and the reasons of keyed ones no edge acknowledged. */
export interface Settled {
  gone: string[];
  unacknowledged: string[];
}

/** Where stanzas for occupants of other domains go: the router (remote domains are its exit, then s2s). */
export interface RemoteExit {
  isLocal(domain: string): boolean;
  route(env: StanzaEnvelope): Promise<void>;
}

/** The edge's word that the session is not there (session-gone), or no edge to ask. */
function isGone(o: DeliveryOutcome): boolean {
  return !o.ok && (o.reason === 'no-edge' || (o.reason === 'refused' && o.detail === SESSION_GONE));
}

/** The domain of a full or bare JID (`local@domain/resource`). */
function domainOf(jid: string): string {
  const at = jid.indexOf('@');
  const slash = jid.indexOf('/', at + 1);
  return jid.slice(at + 1, slash < 0 ? undefined : slash);
}

/**
 * What one frame sends to occupants' sessions, in order. `flush` looks every session up, then hands
 * every stanza to its edge before it returns (so the next frame's stanzas come after these on
 * each edge: a room's order), and resolves once every edge answered. Sessions that are gone are
 * reported, so the room can remove them (XEP-0045 §7.14 status 333) instead of talking to no one.
 */
export class Outbox {
  private readonly items: Item[] = [];

  /** Queues `el` for the real full JID `to` (sets its `to`); with a `dedupeKey`, a session gets it once. */
  send(el: Element, to: string, dedupeKey?: string): void {
    el.attrs.to = to;
    this.items.push(dedupeKey ? { to, el, dedupeKey } : { to, el });
  }

  /**
   * Queues one stanza (no `to`) for every real full JID of `tos`, serialized once: a room's message to
   * 1,000 sessions was 1,000 clones and 1,000 serializations (the copies differ only in `to`).
   */
  sendToAll(el: Element, tos: Iterable<string>, dedupeKey?: string): void {
    const shared: Shared = { el, ...sharedStanzaOf(el) };
    if (dedupeKey) shared.env.dedupeKey = dedupeKey;
    for (const to of tos) this.items.push(dedupeKey ? { to, shared, dedupeKey } : { to, shared });
  }

  get size(): number {
    return this.items.length;
  }

  private envelope(n: number): StanzaEnvelope {
    const item = this.items[n]!;
    const env = item.shared ? copyFor(item.shared, item.to) : envelopeOf(item.el!);
    if (item.dedupeKey) env.dedupeKey = item.dedupeKey;
    return env;
  }

  /** What was queued, each stanza with its `to` (a shared one is copied). */
  stanzas(): readonly { to: string; el: Element; dedupeKey?: string }[] {
    return this.items.map((i) => {
      const el = i.el ?? i.shared!.el.clone();
      el.attrs.to = i.to;
      return i.dedupeKey ? { to: i.to, el, dedupeKey: i.dedupeKey } : { to: i.to, el };
    });
  }

  /**
   * With `batchMax` > 1, the stanzas for sessions on one edge go in requests of at most `batchMax`,
   * in order: a run of copies of one shared stanza (sendToAll) as one DeliveryFanout (its bytes
   * once; a DeliveryBatch of whole copies when `shared` is false), anything else as a DeliveryBatch
   * (per-edge fan-out, one Ack per stanza); 1 sends one request per session.
   */
  async flush(registry: SessionRegistry, delivery: Delivery, batchMax = 1, remote?: RemoteExit, shared = true): Promise<{ settled: Promise<Settled> }> {
    const away = this.items.map((i) => remote !== undefined && !remote.isLocal(domainOf(i.to)));
    const sessions = await Promise.all(this.items.map(async (i, n) => (away[n] ? undefined : registry.get(i.to))));
    const outcomes: Promise<DeliveryOutcome | undefined>[] = new Array<Promise<DeliveryOutcome | undefined>>(this.items.length);
    const byEdge = new Map<string, number[]>();
    this.items.forEach((_, n) => {
      const s = sessions[n];
      // An occupant of another domain (federation): the router sends it on (s2s) or bounces it. Handed
      // over in order, not waited for: the router partition of that occupant may be the one waiting
      // for this very frame (its join or message came in there), and would answer only after it.
      if (away[n]) {
        void remote!.route(this.envelope(n));
        outcomes[n] = Promise.resolve(undefined);
      } else if (!s) outcomes[n] = Promise.resolve(undefined);
      else if (batchMax <= 1) outcomes[n] = delivery.toSession(this.envelope(n), s);
      else {
        const mine = byEdge.get(s.edgeId);
        if (mine) mine.push(n);
        else byEdge.set(s.edgeId, [n]);
      }
    });
    for (const [edgeId, all] of byEdge) {
      let plain: number[] = [];
      const sendPlain = (): void => {
        if (plain.length > 0) this.sendBatch(delivery, edgeId, plain, sessions, outcomes);
        plain = [];
      };
      for (let i = 0; i < all.length;) {
        const run = shared ? this.sharedRun(all, i, batchMax) : 1;
        if (run >= 2) {
          sendPlain();
          this.sendFanout(delivery, edgeId, all.slice(i, i + run), sessions, outcomes);
          i += run;
          continue;
        }
        plain.push(all[i++]!);
        if (plain.length === batchMax) sendPlain();
      }
      sendPlain();
    }
    const settled = Promise.all(outcomes.map((o, n) => o.then((out) => this.againIfMoved(n, out, sessions[n], registry, delivery)))).then((all) => {
      const gone = new Set<string>();
      const unacknowledged: string[] = [];
      all.forEach((o, n) => {
        if (!o || o.ok) return;
        // Gone only on the edge's word (session-gone) or a dead edge: a session missing from this
        // replica's registry view may be a moment behind, and presence tells the room when one ends.
        if (isGone(o)) gone.add(this.items[n]!.to);
        // A keyed room message that an edge did not acknowledge (timed out, or a bus failure: a stalled
        // edge, one that does not know the frame) may not have been written: the frame fails, so the
        // router bounces the message and the sender's resend reaches those who missed it (resend.ts).
        else if (this.items[n]!.dedupeKey) unacknowledged.push(o.reason);
      });
      return { gone: [...gone], unacknowledged };
    });
    return { settled };
  }

  /**
   * A delivery refused as gone went by a record the registry may have cached before the session
   * moved: muc looks sessions up without watching the registry (libs/runtime `sessions: 'lookup'`),
   * so the first sign that a full JID rebound (a new session, or the same one resumed on another
   * edge, XEP-0198) is its old edge saying it has no such session. The store's record is read: when
   * it names another session the stanza goes there once; when there is none the outcome is what a
   * watched cache would have given (no session: nothing sent, and presence tells the room the session
   * ended); only when it still names this session is the occupant gone. A stanza sent again can
   * arrive after one a later frame sent straight to the new session (docs: apps/muc README).
   */
  private async againIfMoved(
    n: number,
    out: DeliveryOutcome | undefined,
    used: SessionTarget | undefined,
    registry: SessionRegistry,
    delivery: Delivery,
  ): Promise<DeliveryOutcome | undefined> {
    if (!out || !used || !isGone(out)) return out;
    let now: SessionTarget | undefined;
    try {
      now = await registry.fresh(this.items[n]!.to);
    } catch {
      return out; // the store unreachable: the edge's word stands
    }
    if (!now) return undefined;
    if (now.edgeId === used.edgeId && now.sessionId === used.sessionId) return out;
    return delivery.toSession(this.envelope(n), now);
  }

  /** How many items from `all[from]` on are copies of one shared stanza (at most `max`). */
  private sharedRun(all: readonly number[], from: number, max: number): number {
    const shared = this.items[all[from]!]!.shared;
    if (!shared) return 1;
    let n = 1;
    while (n < max && from + n < all.length && this.items[all[from + n]!]!.shared === shared) n++;
    return n;
  }

  private sendFanout(
    delivery: Delivery,
    edgeId: string,
    chunk: readonly number[],
    sessions: readonly (SessionTarget | undefined)[],
    outcomes: Promise<DeliveryOutcome | undefined>[],
  ): void {
    const { env, toAt } = this.items[chunk[0]!]!.shared!;
    const sent = delivery.toSessionsOnEdgeShared(
      edgeId,
      env,
      toAt,
      chunk.map((n) => ({ to: this.items[n]!.to, sessionId: sessions[n]!.sessionId })),
    );
    chunk.forEach((n, k) => {
      outcomes[n] = sent.then((o) => o[k]);
    });
  }

  private sendBatch(
    delivery: Delivery,
    edgeId: string,
    chunk: readonly number[],
    sessions: readonly (SessionTarget | undefined)[],
    outcomes: Promise<DeliveryOutcome | undefined>[],
  ): void {
    if (chunk.length === 1) {
      outcomes[chunk[0]!] = delivery.toSession(this.envelope(chunk[0]!), sessions[chunk[0]!]!);
      return;
    }
    const sent = delivery.toSessionsOnEdge(
      edgeId,
      chunk.map((n) => ({ env: this.envelope(n), sessionId: sessions[n]!.sessionId })),
    );
    chunk.forEach((n, k) => {
      outcomes[n] = sent.then((o) => o[k]);
    });
  }
}
