import { randomUUID } from 'node:crypto';
import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { Recipients, SessionAt } from '../recipients.js';
import type { CapsCache } from './caps-cache.js';
import { verifyCaps, type CapsRef } from './caps-hash.js';

const ID_PREFIX = 'caps';

/**
 * XEP-0115 §6.2: learns an unknown hash by asking the entity that announced it (disco#info to
 * `node#ver`, from the pubsub service's address, so the answer is routed back to a presence
 * process), verifies it (§5.4) and stores the features in the shared cache. The IQ id carries the
 * hash function and ver, so whichever process gets the answer can verify it. One query per ver at a
 * time per process, forgotten after `timeoutMs` (a client that never answers is asked again later).
 */
export class CapsResolver {
  private readonly asking = new Map<string, number>();

  constructor(
    private readonly cache: CapsCache,
    private readonly recipients: Recipients,
    private readonly timeoutMs: number,
  ) {}

  /** Sends the query unless one for this ver is in flight; `from` is the service address. */
  async ask(session: SessionAt, caps: CapsRef & { hash: string }, from: string): Promise<void> {
    const key = `${caps.hash} ${caps.ver}`;
    const since = this.asking.get(key);
    if (since !== undefined && performance.now() - since < this.timeoutMs) return;
    this.asking.set(key, performance.now());
    const id = `${ID_PREFIX}-${Buffer.from(`${caps.hash}\n${caps.ver}`).toString('base64url')}-${randomUUID()}`;
    const iq = xml('iq', { type: 'get', id, from }, xml('query', { xmlns: NS.discoInfo, node: `${caps.node}#${caps.ver}` }));
    await this.recipients.toSession(session, iq);
  }

  /** Whether an IQ result or error is the answer to one of our queries (by its id). */
  static isAnswer(iq: Element): boolean {
    return (iq.attrs.id ?? '').startsWith(`${ID_PREFIX}-`);
  }

  /**
   * Handles an answer: verified → stored, and the features returned with the JID that answered;
   * an error or a mismatch → undefined (nothing cached, §5.4: "MUST NOT accept").
   */
  async onAnswer(iq: Element): Promise<{ jid: string; features: string[] } | undefined> {
    const [, encoded] = (iq.attrs.id ?? '').split('-');
    const [hash, ver] = Buffer.from(encoded ?? '', 'base64url')
      .toString('utf8')
      .split('\n');
    if (!hash || !ver) return undefined;
    this.asking.delete(`${hash} ${ver}`);
    const query = iq.getChild('query', NS.discoInfo);
    if (iq.attrs.type !== 'result' || !query || !verifyCaps(query, hash, ver)) return undefined;
    const features = query.getChildren('feature').map((f) => f.attrs.var ?? '');
    await this.cache.store(hash, ver, features);
    return { jid: iq.attrs.from ?? '', features };
  }
}
