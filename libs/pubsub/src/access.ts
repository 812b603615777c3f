import type { RostersRepository } from '#libs/storage';
import type { StanzaError } from '#libs/stanza';
import { pubsubError } from './pubsub-errors.js';
import { affiliationOf, rosterOwners, type PubSubNode, type ServiceKind } from './pubsub-node.js';

/**
 * XEP-0060 §4.5 access models and §6.1.3 / §6.5.9 errors: may `bare` subscribe to and retrieve
 * items of `node`? Owners and publishers always may, outcasts never (§4.1).
 */
export async function mayRead(rosters: RostersRepository, node: PubSubNode, kind: ServiceKind, bare: string): Promise<true | StanzaError> {
  const aff = affiliationOf(node, bare, kind);
  if (aff === 'outcast') return pubsubError('forbidden', undefined, 'outcast');
  if (aff === 'owner' || aff === 'publisher' || aff === 'member') return true;
  switch (node.config.accessModel) {
    case 'open':
      return true;
    case 'whitelist':
      return pubsubError('not-allowed', 'closed-node', 'the node is open to its whitelist only');
    case 'presence': {
      for (const owner of rosterOwners(node, kind)) {
        const item = await rosters.getItem(owner, bare);
        if (item && (item.subscription === 'from' || item.subscription === 'both')) return true;
      }
      return pubsubError('not-authorized', 'presence-subscription-required', 'the node is open to presence subscribers only');
    }
    case 'roster': {
      const allowed = new Set(node.config.rosterGroupsAllowed);
      for (const owner of rosterOwners(node, kind)) {
        const item = await rosters.getItem(owner, bare);
        if (item?.groups.some((g) => allowed.has(g))) return true;
      }
      return pubsubError('not-authorized', 'not-in-roster-group', 'the node is open to some roster groups only');
    }
  }
}

/** §7.1.3.1: may `bare` publish? PEP: the account only (XEP-0163 §3); a service: its publish model. */
export function mayPublish(node: PubSubNode, kind: ServiceKind, bare: string): boolean {
  const aff = affiliationOf(node, bare, kind);
  if (kind === 'pep') return aff === 'owner';
  if (aff === 'owner' || aff === 'publisher' || aff === 'publish-only') return true;
  return node.config.publishModel === 'open' && aff !== 'outcast';
}
