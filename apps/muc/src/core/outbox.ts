import type { Delivery, DeliveryOutcome } from '#libs/bus';
import { SESSION_GONE, envelopeOf } from '#libs/bus';
import type { SessionRegistry } from '#libs/sessions';
import type { Element } from '#libs/xml';

interface Item {
  to: string;
  el: Element;
}

/**
 * What one frame sends to occupants' sessions, in order. `flush` looks every session up, then hands
 * every stanza to its edge before it returns (so the next frame's stanzas come after these on
 * each edge: a room's order), and resolves once every edge answered. Sessions that are gone are
 * reported, so the room can remove them (XEP-0045 §7.14 status 333) instead of talking to no one.
 */
export class Outbox {
  private readonly items: Item[] = [];

  /** Queues `el` for the real full JID `to` (sets its `to`). */
  send(el: Element, to: string): void {
    el.attrs.to = to;
    this.items.push({ to, el });
  }

  get size(): number {
    return this.items.length;
  }

  stanzas(): readonly Item[] {
    return this.items;
  }

  async flush(registry: SessionRegistry, delivery: Delivery): Promise<{ settled: Promise<string[]> }> {
    const sessions = await Promise.all(this.items.map((i) => registry.get(i.to)));
    const outcomes: Promise<DeliveryOutcome | undefined>[] = this.items.map((item, n) => {
      const s = sessions[n];
      return s ? delivery.toSession(envelopeOf(item.el), s) : Promise.resolve(undefined);
    });
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
