import type { PubSubNodeRecord } from '#libs/storage';
import { configFromStored, defaultConfig, type ConfigLimits, type NodeConfig } from './node-config.js';

/** XEP-0060 §4.1 affiliations. */
export type Affiliation = 'owner' | 'publisher' | 'publish-only' | 'member' | 'none' | 'outcast';
export const AFFILIATIONS: readonly Affiliation[] = ['owner', 'publisher', 'publish-only', 'member', 'none', 'outcast'];

/** Where nodes live: an account's PEP service (XEP-0163) or a pubsub.<domain> service. */
export type ServiceKind = 'pep' | 'service';

/** A stored node with its configuration read. */
export interface PubSubNode {
  record: PubSubNodeRecord;
  config: NodeConfig;
}

export function nodeOf(record: PubSubNodeRecord, kind: ServiceKind, defaultMaxItems: number, limits: ConfigLimits): PubSubNode {
  return { record, config: configFromStored(record.config, defaultConfig(kind, defaultMaxItems), limits) };
}

/** A bare JID's affiliation; on a PEP service the account itself is always the owner (XEP-0163 §3). */
export function affiliationOf(node: PubSubNode, bare: string, kind: ServiceKind): Affiliation {
  if (kind === 'pep' && bare === node.record.service) return 'owner';
  return (node.record.affiliations[bare] as Affiliation | undefined) ?? 'none';
}

/** The JIDs whose roster governs presence and roster access: the account (PEP) or the node's owners. */
export function rosterOwners(node: PubSubNode, kind: ServiceKind): string[] {
  if (kind === 'pep') return [node.record.service];
  return Object.entries(node.record.affiliations)
    .filter(([, a]) => a === 'owner')
    .map(([j]) => j);
}
