import { randomUUID } from 'node:crypto';
import { StanzaError } from '#libs/stanza';
import { StorageLimitError, type PubSubItemRecord, type PubSubNodeRecord, type PubSubRepository, type RostersRepository } from '#libs/storage';
import type { Element } from '#libs/xml';
import { mayPublish, mayRead } from './access.js';
import { applyConfig, checkPreconditions, configToStored, defaultConfig, type NodeConfig } from './node-config.js';
import type { PubSubConfig } from './pubsub.config.js';
import { pubsubError } from './pubsub-errors.js';
import { AFFILIATIONS, affiliationOf, nodeOf, type Affiliation, type PubSubNode, type ServiceKind } from './pubsub-node.js';

/** One item as the engine hands it out: the payload parsed again (undefined: a notification-only item). */
export interface PubSubItem {
  id: string;
  payload: Element | undefined;
  publisher: string;
  publishedAt: Date;
}

/** What happened on a node, for the notifier (XEP-0060 §7.1.2, §7.2.2, §8.4.2, §8.5.3). */
export type PubSubEvent =
  | { kind: 'published'; service: string; node: PubSubNode; item: PubSubItem }
  /** `notify`: subscribers are told (notify_retract and the request asked); listeners hear it either way. */
  | { kind: 'retracted'; service: string; node: PubSubNode; id: string; notify: boolean }
  | { kind: 'purged'; service: string; node: PubSubNode }
  | { kind: 'deleted'; service: string; node: PubSubNode }
  /** §6.1.7: the last item, to a new subscriber only. */
  | { kind: 'last'; service: string; node: PubSubNode; item: PubSubItem; to: string };

export interface PublishRequest {
  id?: string | undefined;
  payload?: Element | undefined;
  /** XEP-0223 publish-options: preconditions, and the configuration of a node this publish creates. */
  options?: Map<string, string[]> | undefined;
}

/**
 * The PubSub operations of one kind of service (PEP or pubsub.<domain>) on the repository: every
 * permission check and XEP-0060 §7/§8 error is here, once, for both. `actor` is the requester's bare
 * JID; operations that succeed call `emit` with what subscribers must hear.
 */
export class PubSubEngine {
  constructor(
    private readonly repo: PubSubRepository,
    private readonly rosters: RostersRepository,
    private readonly cfg: PubSubConfig,
    readonly kind: ServiceKind,
    private readonly emit: (e: PubSubEvent) => Promise<void>,
    /** Reads a stored payload again (the XML limits of the deployment). */
    private readonly parse: (xml: string) => Element,
  ) {}

  get limits() {
    return { maxItemsPerNode: this.cfg.maxItemsPerNode };
  }

  defaults(): NodeConfig {
    return defaultConfig(this.kind, this.cfg.defaultMaxItems);
  }

  async node(service: string, node: string): Promise<PubSubNode | undefined> {
    const r = await this.repo.node(service, node);
    return r && nodeOf(r, this.kind, this.cfg.defaultMaxItems, this.limits);
  }

  async nodes(service: string): Promise<PubSubNode[]> {
    return (await this.repo.nodes(service)).map((r) => nodeOf(r, this.kind, this.cfg.defaultMaxItems, this.limits));
  }

  /** §8.1: create (with §8.1.3 configuration). PEP: only the account (XEP-0163 §3). */
  async create(service: string, node: string, actor: string, values?: Map<string, string[]>): Promise<PubSubNode | StanzaError> {
    if (this.kind === 'pep' && actor !== service) return new StanzaError('forbidden', { text: 'only the account creates nodes on its PEP service' });
    // §8.1.2 instant nodes: the service names the node (not on PEP, whose nodes are namespaces).
    if (!node && this.kind === 'pep') return pubsubError('not-acceptable', 'nodeid-required', 'a PEP node is named by its namespace');
    node ||= randomUUID();
    const config = applyConfig(this.defaults(), values ?? new Map<string, string[]>(), this.limits);
    if (config instanceof StanzaError) return config;
    let existed = false;
    const created = await this.guard(() =>
      this.repo.modifyNode(
        service,
        node,
        (cur) => {
          existed = cur !== undefined;
          return cur ? undefined : this.newRecord(service, node, actor, config);
        },
        this.maxNodes,
      ),
    );
    if (created instanceof StanzaError) return created;
    if (existed) return new StanzaError('conflict', { text: `node ${node} exists` });
    return nodeOf(created!, this.kind, this.cfg.defaultMaxItems, this.limits);
  }

  /** §8.2: an owner's configuration form and its submission. */
  async configure(service: string, node: string, actor: string, values: Map<string, string[]>): Promise<PubSubNode | StanzaError> {
    const n = await this.owned(service, node, actor);
    if (n instanceof StanzaError) return n;
    const config = applyConfig(n.config, values, this.limits);
    if (config instanceof StanzaError) return config;
    const stored = await this.repo.modifyNode(service, node, (cur) => cur && { ...cur, config: configToStored(config) }, this.maxNodes);
    if (!stored) return itemNotFound(node);
    return nodeOf(stored, this.kind, this.cfg.defaultMaxItems, this.limits);
  }

  /** §7.1 publish, XEP-0163 §3 auto-create, XEP-0223 preconditions, §7.1.3 errors. */
  async publish(service: string, node: string, actor: string, req: PublishRequest): Promise<{ id: string; node: PubSubNode } | StanzaError> {
    let n = await this.node(service, node);
    if (!n) {
      if (this.kind !== 'pep') return itemNotFound(node);
      const created = await this.create(service, node, actor, req.options);
      if (created instanceof StanzaError)
        return created.condition === 'not-acceptable' ? pubsubError('conflict', 'precondition-not-met', created.text) : created;
      n = created;
    } else if (req.options) {
      const unmet = checkPreconditions(n.config, req.options, this.limits);
      if (unmet) return unmet;
    }
    if (!mayPublish(n, this.kind, actor)) return new StanzaError('forbidden', { text: 'not a publisher of this node' });
    const persistent = n.config.persistItems;
    const withPayload = n.config.deliverPayloads;
    // §7.1.3.6, §7.1.3.7: notification-only transient nodes take no item; others need one.
    if (!persistent && !withPayload && req.payload) return pubsubError('bad-request', 'item-forbidden', 'a transient notification-only node takes no payload');
    if ((persistent || withPayload) && !req.payload) return pubsubError('bad-request', 'item-required', 'this node needs an item with a payload');
    const payload = req.payload?.toString() ?? '';
    if (Buffer.byteLength(payload, 'utf8') > this.cfg.maxItemBytes)
      return pubsubError('not-acceptable', 'payload-too-big', `an item holds at most ${this.cfg.maxItemBytes} bytes`);
    const item: PubSubItemRecord = { id: req.id || randomUUID(), payload, publisher: actor, publishedAt: new Date() };
    if (persistent) await this.repo.publish(service, node, item, n.config.maxItems);
    await this.emit({ kind: 'published', service, node: n, item: { ...item, payload: req.payload } });
    return { id: item.id, node: n };
  }

  /** §7.2 retract (publishers and owners), with notify_retract. */
  async retract(service: string, node: string, actor: string, id: string, notify: boolean): Promise<true | StanzaError> {
    const n = await this.node(service, node);
    if (!n) return itemNotFound(node);
    if (!mayPublish(n, this.kind, actor)) return new StanzaError('forbidden', { text: 'not a publisher of this node' });
    if (!n.config.persistItems) return pubsubError('feature-not-implemented', 'unsupported', 'the node keeps no items', 'persistent-items');
    if (!(await this.repo.retract(service, node, id))) return new StanzaError('item-not-found', { text: `no item ${id}` });
    await this.emit({ kind: 'retracted', service, node: n, id, notify: notify && n.config.notifyRetract });
    return true;
  }

  /** §6.5 retrieve: access model checked, newest first, at most maxItemsPerRetrieve. */
  async items(service: string, node: string, actor: string, q: { ids?: string[]; max?: number }): Promise<PubSubItem[] | StanzaError> {
    const n = await this.node(service, node);
    if (!n) return itemNotFound(node);
    const allowed = await mayRead(this.rosters, n, this.kind, actor);
    if (allowed !== true) return allowed;
    const max = Math.min(q.max ?? this.cfg.maxItemsPerRetrieve, this.cfg.maxItemsPerRetrieve);
    const rows = await this.repo.items(service, node, { ...(q.ids ? { ids: q.ids } : {}), max });
    return rows.map((r) => ({ id: r.id, payload: r.payload ? this.parse(r.payload) : undefined, publisher: r.publisher, publishedAt: r.publishedAt }));
  }

  /** §8.5 purge (owners). */
  async purge(service: string, node: string, actor: string): Promise<true | StanzaError> {
    const n = await this.owned(service, node, actor);
    if (n instanceof StanzaError) return n;
    await this.repo.purge(service, node);
    await this.emit({ kind: 'purged', service, node: n });
    return true;
  }

  /** §8.4 delete (owners), subscribers told when notify_delete. */
  async deleteNode(service: string, node: string, actor: string): Promise<true | StanzaError> {
    const n = await this.owned(service, node, actor);
    if (n instanceof StanzaError) return n;
    await this.repo.deleteNode(service, node);
    if (n.config.notifyDelete) await this.emit({ kind: 'deleted', service, node: n });
    return true;
  }

  /** §6.1 subscribe: `jid` must be the requester's own (bare or full), §6.1.3.1. */
  async subscribe(service: string, node: string, actor: string, jid: string): Promise<{ subid: string } | StanzaError> {
    if (jid.split('/')[0] !== actor) return pubsubError('bad-request', 'invalid-jid', 'the subscribing JID is not the requester');
    const n = await this.node(service, node);
    if (!n) return itemNotFound(node);
    const allowed = await mayRead(this.rosters, n, this.kind, actor);
    if (allowed !== true) return allowed;
    const subid = n.record.subscriptions[jid]?.subid ?? randomUUID();
    let full = false;
    await this.repo.modifyNode(
      service,
      node,
      (cur) => {
        if (!cur || cur.subscriptions[jid]) return undefined;
        if (Object.keys(cur.subscriptions).length >= this.cfg.maxSubscriptionsPerNode) return void (full = true);
        return { ...cur, subscriptions: { ...cur.subscriptions, [jid]: { subid, state: 'subscribed' } } };
      },
      this.maxNodes,
    );
    if (full) return new StanzaError('policy-violation', { text: `a node takes at most ${this.cfg.maxSubscriptionsPerNode} subscriptions` });
    if (n.config.sendLastPublishedItem !== 'never') {
      const [last] = await this.repo.items(service, node, { max: 1 });
      if (last) {
        const item = { id: last.id, payload: last.payload ? this.parse(last.payload) : undefined, publisher: last.publisher, publishedAt: last.publishedAt };
        await this.emit({ kind: 'last', service, node: n, item, to: jid });
      }
    }
    return { subid };
  }

  /** §6.2 unsubscribe: §6.2.3.2 not-subscribed. */
  async unsubscribe(service: string, node: string, actor: string, jid: string): Promise<true | StanzaError> {
    if (jid.split('/')[0] !== actor) return new StanzaError('forbidden', { text: 'only the subscriber unsubscribes' });
    const n = await this.node(service, node);
    if (!n) return itemNotFound(node);
    if (!n.record.subscriptions[jid]) return pubsubError('unexpected-request', 'not-subscribed', `${jid} is not subscribed`);
    await this.repo.modifyNode(
      service,
      node,
      (cur) => {
        if (!cur?.subscriptions[jid]) return undefined;
        const { [jid]: _gone, ...rest } = cur.subscriptions;
        return { ...cur, subscriptions: rest };
      },
      this.maxNodes,
    );
    return true;
  }

  /** §8.9 manage affiliations (owners): read, or set (§8.9.2; 'none' removes). */
  async affiliations(service: string, node: string, actor: string, changes?: Map<string, Affiliation>): Promise<Record<string, string> | StanzaError> {
    const n = await this.owned(service, node, actor);
    if (n instanceof StanzaError) return n;
    if (!changes) return n.record.affiliations;
    for (const a of changes.values()) if (!AFFILIATIONS.includes(a)) return new StanzaError('bad-request', { text: `affiliation ${a}` });
    const stored = await this.repo.modifyNode(
      service,
      node,
      (cur) => {
        if (!cur) return undefined;
        const affiliations = { ...cur.affiliations };
        for (const [j, a] of changes)
          if (a === 'none') delete affiliations[j];
          else affiliations[j] = a;
        return { ...cur, affiliations };
      },
      this.maxNodes,
    );
    return stored?.affiliations ?? itemNotFound(node);
  }

  /** §5.6: the requester's subscriptions (a node, or all of the service). */
  async subscriptionsOf(service: string, actor: string, node?: string): Promise<{ node: string; jid: string; subid: string; state: string }[]> {
    const nodes = node ? [await this.node(service, node)].filter((n) => n !== undefined) : await this.nodes(service);
    return nodes.flatMap((n) =>
      Object.entries(n.record.subscriptions)
        .filter(([j]) => j.split('/')[0] === actor)
        .map(([jid, s]) => ({ node: n.record.node, jid, subid: s.subid, state: s.state })),
    );
  }

  /** Owner-only operations: §8 item-not-found, then forbidden. */
  private async owned(service: string, node: string, actor: string): Promise<PubSubNode | StanzaError> {
    const n = await this.node(service, node);
    if (!n) return itemNotFound(node);
    if (affiliationOf(n, actor, this.kind) !== 'owner') return new StanzaError('forbidden', { text: 'only an owner may do this' });
    return n;
  }

  private get maxNodes(): number {
    return this.kind === 'pep' ? this.cfg.maxNodesPerAccount : this.cfg.maxNodesPerService;
  }

  private newRecord(service: string, node: string, actor: string, config: NodeConfig): PubSubNodeRecord {
    return { service, node, creator: actor, createdAt: new Date(), config: configToStored(config), affiliations: { [actor]: 'owner' }, subscriptions: {} };
  }

  /** StorageLimitError (too many nodes) → <resource-constraint/> with <max-nodes-exceeded/>. */
  private async guard<T>(op: () => Promise<T>): Promise<T | StanzaError> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof StorageLimitError) return pubsubError('resource-constraint', 'max-nodes-exceeded', `at most ${this.maxNodes} nodes`);
      throw err;
    }
  }
}

function itemNotFound(node: string): StanzaError {
  return new StanzaError('item-not-found', { text: `no node ${node}` });
}
