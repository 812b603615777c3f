import type { GliderConfig } from '#libs/config';
import { NS, StanzaError } from '#libs/stanza';
import type { Storage } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import { mayRead } from './access.js';
import { readPubSubConfig } from './pubsub.config.js';
import { nodeOf } from './pubsub-node.js';

/**
 * XEP-0030 about PEP nodes, for whoever answers disco on accounts (the router): §5.3 disco#info of
 * a node (identity pubsub/leaf, to those the access model lets read it, XEP-0060 §5.3 / §6.5) and
 * §5.2 the account's nodes in disco#items (to the owner: XEP-0163 lists them to the account only).
 */
export class PepDisco {
  private readonly defaultMaxItems: number;
  private readonly maxItemsPerNode: number;

  constructor(
    private readonly storage: Storage,
    config: GliderConfig,
  ) {
    const cfg = readPubSubConfig(config.features);
    this.defaultMaxItems = cfg.defaultMaxItems;
    this.maxItemsPerNode = cfg.maxItemsPerNode;
  }

  async info(account: string, node: string, requesterBare: string): Promise<Element | StanzaError> {
    const r = await this.storage.pubsub.node(account, node);
    if (!r) return new StanzaError('item-not-found');
    const n = nodeOf(r, 'pep', this.defaultMaxItems, { maxItemsPerNode: this.maxItemsPerNode });
    const allowed = await mayRead(this.storage.rosters, n, 'pep', requesterBare);
    if (allowed !== true) return new StanzaError('item-not-found');
    return xml('query', { xmlns: NS.discoInfo, node }, xml('identity', { category: 'pubsub', type: 'leaf' }), xml('feature', { var: NS.pubsub }));
  }

  /** The account's nodes as disco items (`jid` = the account, `node` = each node), for the owner. */
  async items(account: string): Promise<Element[]> {
    return (await this.storage.pubsub.nodes(account)).map((n) => xml('item', { jid: account, node: n.node }));
  }
}
