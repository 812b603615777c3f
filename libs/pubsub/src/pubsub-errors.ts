import { NS, StanzaError, type StanzaErrorCondition } from '#libs/stanza';
import { xml } from '#libs/xml';

/** XEP-0060 §7 application conditions (namespace http://jabber.org/protocol/pubsub#errors). */
export type PubSubCondition =
  | 'closed-node'
  | 'configuration-required'
  | 'invalid-jid'
  | 'invalid-options'
  | 'invalid-payload'
  | 'invalid-subid'
  | 'item-forbidden'
  | 'item-required'
  | 'max-items-exceeded'
  | 'max-nodes-exceeded'
  | 'nodeid-required'
  | 'not-in-roster-group'
  | 'not-subscribed'
  | 'payload-too-big'
  | 'payload-required'
  | 'precondition-not-met'
  | 'presence-subscription-required'
  | 'subid-required'
  | 'too-many-subscriptions'
  | 'unsupported';

/** A stanza error with a pubsub#errors condition; `unsupported` names its feature (§7.1.3.x). */
export function pubsubError(condition: StanzaErrorCondition, app?: PubSubCondition, text?: string, feature?: string): StanzaError {
  const opts: ConstructorParameters<typeof StanzaError>[1] = {};
  if (text) opts.text = text;
  if (app) opts.appCondition = xml(app, feature ? { xmlns: NS.pubsubErrors, feature } : { xmlns: NS.pubsubErrors });
  return new StanzaError(condition, opts);
}
