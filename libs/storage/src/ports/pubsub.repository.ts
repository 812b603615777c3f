/**
 * XEP-0060 PubSub nodes and items, for PEP (XEP-0163: `service` is the account's bare JID) and for
 * the generic service (`service` is `pubsub.<domain>`). A node record holds its configuration as
 * form values (field var → values, libs/pubsub reads them), its affiliations and subscriptions;
 * items are stored apart, newest first by publication.
 */
export interface PubSubNodeRecord {
  service: string;
  node: string;
  /** The bare JID that created it (the account itself for PEP). */
  creator: string;
  createdAt: Date;
  /** XEP-0060 §16.4.4 pubsub#node_config values by field var (e.g. 'pubsub#max_items' → ['10']). */
  config: Record<string, string[]>;
  /** Bare JID → 'owner' | 'publisher' | 'publish-only' | 'member' | 'outcast' (§4.1). */
  affiliations: Record<string, string>;
  /** Subscriber JID (as subscribed, bare or full) → its subscription (§4.2). */
  subscriptions: Record<string, { subid: string; state: 'subscribed' | 'pending' }>;
}

export interface PubSubItemRecord {
  id: string;
  /** The item's payload as XML (one element; '' for a notification without payload). */
  payload: string;
  /** Bare JID of who published it. */
  publisher: string;
  publishedAt: Date;
}

export interface PubSubItemsQuery {
  /** Only these ids (in that order of publication, newest first). */
  ids?: readonly string[];
  /** At most this many, newest first. */
  max?: number;
}

export interface PubSubRepository {
  node(service: string, node: string): Promise<PubSubNodeRecord | undefined>;
  /** Every node of a service, by name. */
  nodes(service: string): Promise<PubSubNodeRecord[]>;
  /**
   * Creates or changes one node atomically: `mutate` sees the current record (undefined when there
   * is none) and returns the new one, or undefined to change nothing. Creating a node when the
   * service already holds `maxNodes` throws StorageLimitError. Returns what is stored afterwards.
   */
  modifyNode(
    service: string,
    node: string,
    mutate: (current: PubSubNodeRecord | undefined) => PubSubNodeRecord | undefined,
    maxNodes: number,
  ): Promise<PubSubNodeRecord | undefined>;
  /** Removes the node with its items; false when there was none. */
  deleteNode(service: string, node: string): Promise<boolean>;
  /**
   * Stores an item (an item with the same id is replaced and becomes the newest, §7.1.2), then
   * drops the oldest past `maxItems`. Returns the ids it dropped.
   */
  publish(service: string, node: string, item: PubSubItemRecord, maxItems: number): Promise<string[]>;
  items(service: string, node: string, query?: PubSubItemsQuery): Promise<PubSubItemRecord[]>;
  /** False when there was no such item. */
  retract(service: string, node: string, id: string): Promise<boolean>;
  /** §8.5: every item of the node. */
  purge(service: string, node: string): Promise<void>;
  /** Account removal: every node and item of a service. */
  deleteService(service: string): Promise<void>;
}
