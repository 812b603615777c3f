const P = 'http://jabber.org/protocol/pubsub';

/** XEP-0060 §10 features both services fully serve (each checked by a spec). */
const COMMON = [
  'access-open',
  'access-presence',
  'access-roster',
  'access-whitelist',
  'config-node',
  'create-and-configure',
  'create-nodes',
  'delete-items',
  'delete-nodes',
  'item-ids',
  'multi-items',
  'outcast-affiliation',
  'persistent-items',
  'publish',
  'publish-options',
  'purge-nodes',
  'retract-items',
  'retrieve-affiliations',
  'retrieve-default',
  'retrieve-items',
  'retrieve-subscriptions',
  'subscribe',
  'modify-affiliations',
  'member-affiliation',
  'publisher-affiliation',
];

/** PEP adds XEP-0163 §4: auto-create, +notify filtering, presence-based delivery and the last item. */
const PEP_ONLY = ['auto-create', 'auto-subscribe', 'filtered-notifications', 'last-published', 'presence-notifications', 'presence-subscribe'];

/** The generic service also names nodes itself (§8.1.2). */
const SERVICE_ONLY = ['instant-nodes'];

export function pubsubDiscoFeatures(kind: 'pep' | 'service'): string[] {
  return [P, ...COMMON.map((f) => `${P}#${f}`), ...(kind === 'pep' ? PEP_ONLY : SERVICE_ONLY).map((f) => `${P}#${f}`)].sort();
}
