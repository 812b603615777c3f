import { randomUUID } from 'node:crypto';
import type { Bus, Delivery } from '#libs/bus';
import type { GliderConfig } from '#libs/config';
import type { SessionInfo, SessionRegistry } from '#libs/sessions';
import type { StanzaError } from '#libs/stanza';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { parseElement, reparseLimits, type Element } from '#libs/xml';
import { mayRead } from './access.js';
import { capsOf, isVerifiableHash, type CapsRef } from './caps/caps-hash.js';
import { CapsResolver } from './caps/caps-resolver.js';
import { CapsCache } from './caps/caps-cache.js';
import type { NodeConfig } from './node-config.js';
import { eventElement, eventMessage } from './notifications.js';
import { readPubSubConfig, type PubSubConfig } from './pubsub.config.js';
import { PubSubEngine, type PubSubEvent, type PubSubItem } from './pubsub-engine.js';
import type { PubSubNode } from './pubsub-node.js';
import { Recipients, type SessionAt } from './recipients.js';

export interface PepDeps {
  storage: Storage;
  registry: SessionRegistry;
  delivery: Delivery;
  bus: Bus;
  config: GliderConfig;
  logger: Logger;
}

/** What `pep.publish` and `pep:published` listeners get. */
export interface PepPublished {
  owner: string;
  node: string;
  item: PubSubItem;
  /** The bare JID that published (the owner, or the server acting for it). */
  publisher: string;
}

export type PepListener = (e: PepPublished) => void | Promise<void>;

/** What `pep:retracted` listeners get: an item retracted from a local account's node. */
export interface PepRetracted {
  owner: string;
  node: string;
  id: string;
}

export type PepRetractListener = (e: PepRetracted) => void | Promise<void>;

/**
 * PEP (XEP-0163 v1.2): a PubSub service on every account's bare JID. The presence service answers
 * clients' IQs through it; other code (XEP-0398, XEP-0411 conversions) calls it directly to publish
 * to and read a user's nodes on the user's behalf. Notifications go to the account's resources and
 * to contacts with a presence subscription whose XEP-0115 caps say `<node>+notify` (§4.3), and to
 * explicit subscribers.
 */
export class PepService {
  readonly cfg: PubSubConfig;
  readonly engine: PubSubEngine;
  readonly caps: CapsCache;
  readonly recipients: Recipients;
  readonly resolver: CapsResolver;
  private readonly listeners = new Set<PepListener>();
  private readonly retractListeners = new Set<PepRetractListener>();
  private readonly parse: (xml: string) => Element;

  constructor(private readonly deps: PepDeps) {
    this.cfg = readPubSubConfig(deps.config.features);
    const limits = reparseLimits(deps.config.edge.limits);
    this.parse = (x) => parseElement(x, limits);
    this.engine = new PubSubEngine(deps.storage.pubsub, deps.storage.rosters, this.cfg, 'pep', (e) => this.onEvent(e), this.parse);
    this.caps = new CapsCache(deps.bus, this.cfg.capsCacheMaxEntries);
    this.recipients = new Recipients(deps.registry, deps.delivery, deps.config.domains, deps.logger);
    this.resolver = new CapsResolver(this.caps, this.recipients, this.cfg.capsQueryTimeoutMs);
  }

  /**
   * XEP-0163 §4.3.1 with XEP-0115: `session` became available or changed its caps. Known caps →
   * the last items it wants now; unknown → a disco#info query from `askFrom` (the answer comes
   * back through onCapsAnswer, on whichever process serves that address).
   */
  async onAvailable(session: SessionAt, caps: CapsRef | undefined, askFrom: string): Promise<void> {
    if (!caps || !isVerifiableHash(caps.hash)) return;
    const features = await this.caps.features(caps.hash, caps.ver);
    if (features) await this.lastItemsFor(session, features);
    else await this.resolver.ask(session, { ...caps, hash: caps.hash }, askFrom);
  }

  /** The answer to a caps query: verified and cached, then the last items as for onAvailable. */
  async onCapsAnswer(iq: Element): Promise<void> {
    const learned = await this.resolver.onAnswer(iq);
    if (!learned) return;
    const s = await this.deps.registry.get(learned.jid);
    if (s?.available) await this.lastItemsFor(s, learned.features);
  }

  /** The last items of the account itself and of every local contact whose presence it receives. */
  private async lastItemsFor(session: SessionAt, features: readonly string[]): Promise<void> {
    if (!features.some((f) => f.endsWith('+notify'))) return;
    const bare = session.jid.slice(0, session.jid.indexOf('/'));
    const roster = await this.deps.storage.rosters.get(bare);
    const owners = roster.items.filter((i) => i.subscription === 'to' || i.subscription === 'both').map((i) => i.jid);
    for (const owner of [bare, ...owners]) {
      if (!this.deps.config.domains.includes(owner.slice(owner.indexOf('@') + 1))) continue;
      await this.sendLastItems(owner, session, features);
    }
  }

  /**
   * Publishes to `owner`'s node as the owner (created if missing, with `publishOptions` as its
   * configuration; an existing node must match them: XEP-0223 precondition-not-met). Notifies.
   */
  async publish(
    owner: string,
    node: string,
    item: { id?: string; payload: Element },
    opts: { publishOptions?: Record<string, string | string[]> } = {},
  ): Promise<{ id: string } | StanzaError> {
    const options = opts.publishOptions ? new Map(Object.entries(opts.publishOptions).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])) : undefined;
    const done = await this.engine.publish(owner, node, owner, { id: item.id, payload: item.payload, options });
    return 'id' in done ? { id: done.id } : done;
  }

  /** The owner's items, newest first (server-side: no access check). */
  async items(owner: string, node: string, q: { ids?: string[]; max?: number } = {}): Promise<PubSubItem[] | StanzaError> {
    return this.engine.items(owner, node, owner, q);
  }

  async retract(owner: string, node: string, id: string, opts: { notify?: boolean } = {}): Promise<true | StanzaError> {
    return this.engine.retract(owner, node, owner, id, opts.notify ?? true);
  }

  async deleteNode(owner: string, node: string): Promise<true | StanzaError> {
    return this.engine.deleteNode(owner, node, owner);
  }

  /** The node's configuration, or undefined when the account has no such node. */
  async node(owner: string, node: string): Promise<NodeConfig | undefined> {
    return (await this.engine.node(owner, node))?.config;
  }

  /** Called after every publish on this process (clients' and server-side). Returns the undo. */
  onPublished(listener: PepListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every retraction on this process (clients' and server-side, notified or not). Returns the undo. */
  onRetracted(listener: PepRetractListener): () => void {
    this.retractListeners.add(listener);
    return () => this.retractListeners.delete(listener);
  }

  /**
   * XEP-0163 §4.3.1 / XEP-0060 §6.1.7: `session` (a contact of `owner`, or the owner) is available
   * with `features`: the last item of each node it wants (`+notify`), may read, and that sends it
   * on presence.
   */
  async sendLastItems(owner: string, session: SessionAt, features: readonly string[]): Promise<void> {
    const bare = session.jid.slice(0, session.jid.indexOf('/'));
    for (const n of await this.engine.nodes(owner)) {
      if (n.config.sendLastPublishedItem !== 'on_sub_and_presence' || !features.includes(`${n.record.node}+notify`)) continue;
      if ((await mayRead(this.deps.storage.rosters, n, 'pep', bare)) !== true) continue;
      const [last] = await this.deps.storage.pubsub.items(owner, n.record.node, { max: 1 });
      if (!last) continue;
      const item: PubSubItem = {
        id: last.id,
        payload: last.payload ? this.parse(last.payload) : undefined,
        publisher: last.publisher,
        publishedAt: last.publishedAt,
      };
      const event = eventElement({ kind: 'published', service: owner, node: n, item });
      await this.recipients.toSession(session, eventMessage(owner, event, randomUUID()));
    }
  }

  /** The verified features of a session's current caps, or undefined while unknown (or legacy, unhashed). */
  async featuresOf(session: SessionInfo): Promise<readonly string[] | undefined> {
    if (!session.lastPresence) return undefined;
    let caps;
    try {
      caps = capsOf(this.parse(Buffer.from(session.lastPresence).toString('utf8')));
    } catch {
      return undefined;
    }
    if (!caps || !isVerifiableHash(caps.hash)) return undefined;
    return this.caps.features(caps.hash, caps.ver);
  }

  private async onEvent(e: PubSubEvent): Promise<void> {
    const owner = e.service;
    const node = e.node.record.node;
    // a retraction reaches the listeners even when notify_retract is off (they keep copies in sync)
    if (e.node.config.deliverNotifications && (e.kind !== 'retracted' || e.notify)) await this.notify(e);
    if (e.kind === 'published') {
      for (const l of this.listeners) await this.guarded('pep:published', node, () => l({ owner, node, item: e.item, publisher: e.item.publisher }));
    } else if (e.kind === 'retracted') {
      for (const l of this.retractListeners) await this.guarded('pep:retracted', node, () => l({ owner, node, id: e.id }));
    }
  }

  private async guarded(what: string, node: string, call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, node }, `a ${what} listener failed`);
    }
  }

  /** §4.3: the owner's resources and its presence subscribers that want the node, and explicit subscribers. */
  private async notify(e: PubSubEvent): Promise<void> {
    const owner = e.service;
    const node = e.node.record.node;
    const msg = eventMessage(owner, eventElement(e), randomUUID());
    if (e.kind === 'last') return this.recipients.send(e.to, msg);
    const sent = new Set<string>();
    const roster = await this.deps.storage.rosters.get(owner);
    const contacts = roster.items.filter((i) => i.subscription === 'from' || i.subscription === 'both').map((i) => i.jid);
    for (const bare of [owner, ...contacts]) {
      if (bare !== owner && (await mayRead(this.deps.storage.rosters, e.node, 'pep', bare)) !== true) continue;
      for (const s of await this.deps.registry.ofUser(bare)) {
        if (!s.available || sent.has(s.jid)) continue;
        if (!(await this.featuresOf(s))?.includes(`${node}+notify`)) continue;
        sent.add(s.jid);
        await this.recipients.toSession(s, msg);
      }
    }
    await this.toSubscribers(e.node, msg, sent);
  }

  private async toSubscribers(n: PubSubNode, msg: Element, sent: Set<string>): Promise<void> {
    for (const [jid, sub] of Object.entries(n.record.subscriptions)) {
      if (sub.state !== 'subscribed' || sent.has(jid)) continue;
      if ((await mayRead(this.deps.storage.rosters, n, 'pep', jid.split('/')[0]!)) !== true) continue;
      await this.recipients.send(jid, msg);
    }
  }
}
