import { randomUUID } from 'node:crypto';
import type { BlockingConfig, BlocklistCache } from '#libs/blocking';
import { StanzaError } from '#libs/stanza';
import { StorageLimitError } from '#libs/storage';
import { resultThen, type IqAnswer } from '#libs/xmpp-kit';
import { xml } from '#libs/xml';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext, PresenceIqRequest } from '../../presence.context.js';
import { itemsElement, itemsOf } from './blocklist-items.js';
import { goUnavailableFor, showPresenceTo } from './presence-effects.js';

/** The blocking IQs of one presence process (XEP-0191 §3.2–§3.5); only the account's own (`account: 'own'`). */
export class BlocklistCommands {
  constructor(
    private readonly ctx: PresenceContext,
    private readonly cache: BlocklistCache,
    private readonly cfg: BlockingConfig,
  ) {}

  /** §3.2: the list; the asking session now gets pushes (§3.3: "resources that have requested the blocklist"). */
  async get({ stanza, payload }: PresenceIqRequest): Promise<IqAnswer> {
    if (payload.name !== 'blocklist') return new StanzaError('bad-request', { text: 'expected <blocklist/>' });
    const origin = stanza.env.origin;
    if (origin) await this.ctx.registry.update(stanza.from.toString(), origin.sessionId, { blocklist: true });
    return itemsElement('blocklist', await this.ctx.storage.blocklist.list(ownerOf(stanza)));
  }

  async set(req: PresenceIqRequest): Promise<IqAnswer> {
    const { payload } = req;
    if (payload.name !== 'block' && payload.name !== 'unblock') return new StanzaError('bad-request', { text: 'expected <block/> or <unblock/>' });
    const items = itemsOf(payload, this.cfg.maxItemsPerRequest);
    if (items instanceof StanzaError) return items;
    return payload.name === 'block' ? this.block(req.stanza, items) : this.unblock(req.stanza, items);
  }

  /** §3.3: at least one item; the contacts see the user go offline; every interested resource gets the push. */
  private async block(st: PresenceStanza, items: string[]): Promise<IqAnswer> {
    if (items.length === 0) return new StanzaError('bad-request', { text: '<block/> needs at least one <item/>' });
    const owner = ownerOf(st);
    const current = new Set(await this.ctx.storage.blocklist.list(owner));
    const fresh = items.filter((j) => !current.has(j));
    if (current.size + fresh.length > this.cfg.maxItems) return this.tooMany();
    await goUnavailableFor(this.ctx, owner, fresh);
    try {
      await this.ctx.storage.blocklist.add(owner, items, this.cfg.maxItems);
    } catch (err) {
      if (err instanceof StorageLimitError) return this.tooMany(); // a racing block filled the list
      throw err;
    }
    await this.cache.changed(owner);
    return resultThen(undefined, () => this.push(owner, itemsElement('block', items)));
  }

  /** §3.4 (items) and §3.5 (none: all). Unblocking what is not blocked is no error. */
  private async unblock(st: PresenceStanza, items: string[]): Promise<IqAnswer> {
    const owner = ownerOf(st);
    const current = await this.ctx.storage.blocklist.list(owner);
    const removed = items.length === 0 ? current : items.filter((j) => current.includes(j));
    if (items.length === 0) await this.ctx.storage.blocklist.deleteAll(owner);
    else await this.ctx.storage.blocklist.remove(owner, items);
    await this.cache.changed(owner);
    return resultThen(undefined, async () => {
      await this.push(owner, itemsElement('unblock', items));
      await showPresenceTo(this.ctx, owner, removed);
    });
  }

  private tooMany(): StanzaError {
    return new StanzaError('policy-violation', { text: `a blocklist holds at most ${this.cfg.maxItems} JIDs` });
  }

  /** §3.3/§3.4: the same command, as an IQ set, to each resource that requested the blocklist. */
  private async push(owner: string, command: ReturnType<typeof itemsElement>): Promise<void> {
    const sessions = (await this.ctx.registry.ofUser(owner)).filter((s) => s.blocklist === true);
    for (const s of sessions) await this.ctx.delivery.element(xml('iq', { type: 'set', id: `block-${randomUUID()}`, to: s.jid }, command.clone()), s);
  }
}

function ownerOf(st: PresenceStanza): string {
  return st.from.bare().toString();
}
