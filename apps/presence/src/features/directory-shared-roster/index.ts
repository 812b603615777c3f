import { partitionOf } from '#libs/bus';
import { SharedRosterSource, type SharedRosterChange } from '#libs/directory';
import type { FeatureDefinition, Registration } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { pushShared } from './push-shared.js';
import { answerRefreshRequests } from './refresh-on-demand.js';

/**
 * Shared rosters from directory groups (issue 15; ejabberd's mod_shared_roster_ldap): for each
 * domain with `directory.domains.<domain>.sharedRoster`, the groups are read from the directory
 * (libs/directory SharedRosterSource) at start and every `refreshIntervalMs`; members see each
 * other (ctx.sharedRoster, merged into roster gets, broadcasts and probes: RFC 6121 §2.1.3, §4.2.2,
 * §4.3.2, subscription `both` implied) and each change is pushed (RFC 6121 §2.1.6) to the owner's
 * interested resources by the replica owning the owner's partition, so a cluster pushes once.
 * Nothing is advertised: a shared roster is ordinary roster items to a client.
 */
export const directorySharedRosterFeature: FeatureDefinition<PresenceContext> = {
  name: 'directory-shared-roster',
  spec: { rfc: 6121, section: '2.1.6' },
  setup: async (ctx) => {
    const registrations: Registration[] = [];
    for (const [domain, entry] of Object.entries(ctx.config.directory.domains)) {
      if (!entry.sharedRoster) continue;
      const source = new SharedRosterSource(domain, entry.ldap, entry.sharedRoster, ctx.logger.child({ component: 'shared-roster', domain }));
      registrations.push(ctx.sharedRoster.set(domain, source));
      registrations.push(source.onChange((changes) => pushOwned(ctx, domain, changes)));
      registrations.push(() => void source.close());
      await source.start();
    }
    if (registrations.length) registrations.push(answerRefreshRequests(ctx));
    return registrations;
  },
};

async function pushOwned(ctx: PresenceContext, domain: string, changes: SharedRosterChange[]): Promise<void> {
  const owned = new Set(ctx.ownedPartitions());
  for (const change of changes) {
    const owner = `${change.owner}@${domain}`;
    if (!owned.has(partitionOf(owner, ctx.config.bus.partitions))) continue;
    await pushShared(ctx, owner, `${change.contact}@${domain}`, change.groups);
  }
}
