import { NS, StanzaError } from '#libs/stanza';
import { Element, xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';
import { adminCommands } from '../xep-0133-admin/index.js';
import type { AdhocCommand } from './adhoc-command.js';
import { AdhocHandler } from './adhoc-handler.js';
import { AdhocSessions } from './adhoc-sessions.js';

export const COMMANDS_NS = NS.commands;

/**
 * XEP-0050 ad-hoc commands on the server's domain: the command list is the disco#items of the
 * `http://jabber.org/protocol/commands` node (§2.2), filtered to what the requester may run;
 * each command node answers disco#info (§2.3); execution per §3.4 with sessions any router can
 * continue. The commands are XEP-0133 service administration (features/xep-0133-admin).
 */
export const adhocFeature: FeatureDefinition<RouterContext> = {
  name: 'adhoc',
  spec: { xep: 50, version: '1.3.0' },
  discoFeatures: [COMMANDS_NS],
  dependsOn: ['disco'],
  setup: (ctx) => {
    const commands = new Map<string, AdhocCommand>(adminCommands(ctx).map((c) => [c.node, c]));
    const sessions = new AdhocSessions(ctx.bus, ctx.config.router.adhocSessionTimeoutMs, ctx.config.router.adhocMaxSessionsPerUser);
    const handler = new AdhocHandler(() => commands, sessions);
    const visible = (req: IqRequest) => [...commands.values()].filter((c) => c.allowed(req.from));
    return [
      ctx.iq.register('set', COMMANDS_NS, (req) => handler.handle(req), { server: true }, 'adhoc'),
      ctx.discoNodes.register({
        matches: (node) => node === COMMANDS_NS || commands.has(node),
        info: async (node, req) => {
          const query = new Element('query', { xmlns: NS.discoInfo, node });
          if (node === COMMANDS_NS) return query.append(xml('identity', { category: 'automation', type: 'command-list', name: 'Commands' }));
          const command = commands.get(node)!;
          // §2.3; a command the requester may not run is not there for it (as in the list)
          if (!command.allowed(req.from)) return new StanzaError('item-not-found');
          query.append(xml('identity', { category: 'automation', type: 'command-node', name: command.name }));
          query.append(xml('feature', { var: COMMANDS_NS }));
          query.append(xml('feature', { var: NS.xdata }));
          return query;
        },
        items: async (node, req) => {
          const query = new Element('query', { xmlns: NS.discoItems, node });
          if (node !== COMMANDS_NS) return query; // a command node has no items
          for (const c of visible(req)) query.append(xml('item', { jid: req.to.domain, node: c.node, name: c.name }));
          return query;
        },
      }),
    ];
  },
};
