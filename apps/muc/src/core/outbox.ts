import type { Delivery, DeliveryOutcome, StanzaEnvelope } from '#libs/bus';
import { SESSION_GONE, envelopeOf } from '#libs/bus';
import type { SessionRegistry } from '#libs/sessions';
import type { Element } from '#libs/xml';

interface Item {
  to: string;
  el: Element;
  /** Edges write a stanza with this key to a session at most once (StanzaEnvelope.dedupe_key). */
  dedupeKey?: string;
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

  get size(): number {
    return this.items.length;
  }

  private envelope(n: number): StanzaEnvelope {
    const item = this.items[n]!;
    const env = envelopeOf(item.el);
    if (item.dedupeKey) env.dedupeKey = item.dedupeKey;
    return env;
  }

  stanzas(): readonly Item[] {
    return this.items;
  }

  /**
   * With `batchMax` > 1, the stanzas for sessions on one edge go in one request per `batchMax`
   * (a DeliveryBatch: per-edge fan-out, one Ack per stanza), in order; 1 sends one request per session.
   */
  async flush(registry: SessionRegistry, delivery: Delivery, batchMax = 1): Promise<{ settled: Promise<string[]> }> {
    const sessions = await Promise.all(this.items.map((i) => registry.get(i.to)));
    const outcomes: Promise<DeliveryOutcome | undefined>[] = new Array<Promise<DeliveryOutcome | undefined>>(this.items.length);
    const byEdge = new Map<string, number[]>();
    this.items.forEach((_, n) => {
      const s = sessions[n];
      if (!s) outcomes[n] = Promise.resolve(undefined);
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
