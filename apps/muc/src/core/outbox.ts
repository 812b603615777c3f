import type { Delivery, DeliveryOutcome, StanzaEnvelope } from '#libs/bus';
import { SESSION_GONE, envelopeOf } from '#libs/bus';
import type { SessionRegistry } from '#libs/sessions';
import { escapeAttr, type Element } from '#libs/xml';

/** One stanza serialized once for many recipients: each copy is `open + to="…" + rest`. */
interface Shared {
  el: Element;
  open: string;
  rest: string;
}

const KINDS: Record<string, StanzaEnvelope['kind']> = { message: 'MESSAGE', presence: 'PRESENCE', iq: 'IQ' };

interface Item {
  to: string;
  /** The stanza (its own), or the stanza shared with other items (serialized once: sendToAll). */
  el?: Element;
  shared?: Shared;
  /** Edges write a stanza with this key to a session at most once (StanzaEnvelope.dedupe_key). */
  dedupeKey?: string;
}

/** Where stanzas for occupants of other domains go: the router (remote domains are its exit, then s2s). */
export interface RemoteExit {
  isLocal(domain: string): boolean;
  route(env: StanzaEnvelope): Promise<void>;
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
    delete el.attrs.to;
    const text = el.toString();
    const cut = el.name.length + 1;
    const shared: Shared = { el, open: text.slice(0, cut), rest: text.slice(cut) };
    for (const to of tos) this.items.push(dedupeKey ? { to, shared, dedupeKey } : { to, shared });
  }

  get size(): number {
    return this.items.length;
  }

  private envelope(n: number): StanzaEnvelope {
    const item = this.items[n]!;
    let env: StanzaEnvelope;
    if (item.shared) {
      const { el, open, rest } = item.shared;
      env = {
        from: el.attrs.from ?? '',
        to: item.to,
        kind: KINDS[el.name] ?? 'STANZA_KIND_UNSPECIFIED',
        type: el.attrs.type ?? '',
        id: el.attrs.id ?? '',
        xml: Buffer.from(`${open} to="${escapeAttr(item.to)}"${rest}`, 'utf8'),
        hops: 0,
      };
    } else env = envelopeOf(item.el!);
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
   * With `batchMax` > 1, the stanzas for sessions on one edge go in one request per `batchMax`
   * (a DeliveryBatch: per-edge fan-out, one Ack per stanza), in order; 1 sends one request per session.
   */
  async flush(registry: SessionRegistry, delivery: Delivery, batchMax = 1, remote?: RemoteExit): Promise<{ settled: Promise<string[]> }> {
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
      for (let from = 0; from < all.length; from += batchMax) {
        const chunk = all.slice(from, from + batchMax);
        if (chunk.length === 1) {
          outcomes[chunk[0]!] = delivery.toSession(this.envelope(chunk[0]!), sessions[chunk[0]!]!);
          continue;
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
    const settled = Promise.all(outcomes).then((all) => {
      const gone = new Set<string>();
      // Gone only on the edge's word (session-gone) or a dead edge: a session missing from this
      // replica's registry view may be a moment behind, and presence tells the room when one ends.
      all.forEach((o, n) => {
        if (o && !o.ok && (o.reason === 'no-edge' || (o.reason === 'refused' && o.detail === SESSION_GONE))) gone.add(this.items[n]!.to);
      });
      return [...gone];
    });
    return { settled };
  }
}
