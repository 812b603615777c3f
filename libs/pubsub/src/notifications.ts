import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { PubSubEvent, PubSubItem } from './pubsub-engine.js';

/** XEP-0060 §7.1.2.1 / §7.2.2.1 / §8.5.3.1 / §8.4.2.1: the `<event/>` of one node event. */
export function eventElement(e: PubSubEvent): Element {
  const node = e.node.record.node;
  const event = xml('event', { xmlns: NS.pubsubEvent });
  if (e.kind === 'published' || e.kind === 'last') event.append(xml('items', { node }, itemElement(e.item, e.node.config.deliverPayloads)));
  else if (e.kind === 'retracted') event.append(xml('items', { node }, xml('retract', { id: e.id })));
  else if (e.kind === 'purged') event.append(xml('purge', { node }));
  else event.append(xml('delete', { node }));
  return event;
}

/** An `<item/>` of a notification or a retrieve result; the payload only when the node delivers payloads. */
export function itemElement(item: PubSubItem, withPayload: boolean, publisher = false): Element {
  const attrs: Record<string, string> = { id: item.id };
  if (publisher) attrs.publisher = item.publisher;
  return xml('item', attrs, withPayload && item.payload ? item.payload.clone() : undefined);
}

/** The headline message that carries an event (type headline: never stored offline, RFC 6121 §5.2.2). */
export function eventMessage(from: string, event: Element, id: string): Element {
  return xml('message', { from, type: 'headline', id }, event);
}
