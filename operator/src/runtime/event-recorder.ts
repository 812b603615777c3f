import { PatchStrategy, type KubernetesObjectApi } from '@kubernetes/client-node';
import type { Logger } from './logger.js';

export interface EventTarget {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorderOptions {
  /** `source.component`, `reportingComponent`. */
  component: string;
  /** How many recent events are remembered for counting (least recently seen are forgotten first). */
  cacheSize?: number;
  /** Distinct messages with the same reason on one object within `similarWindowMs`... */
  maxSimilar?: number;
  /** ...past which they are folded into one event "(combined from similar events): <latest>". */
  similarWindowMs?: number;
  now?: () => Date;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

/**
 * core/v1 Events as client-go's recorder writes them (tools/record, EventCorrelator), so a flapping
 * reconcile does not write an Event per attempt:
 * - the same type, reason, object and message again → the existing Event's `count` goes up and its
 *   `lastTimestamp` (and message) move, by a PATCH; a new Event only when that one is gone (TTL);
 * - more than `maxSimilar` different messages for one type, reason and object within
 *   `similarWindowMs` → further ones update one aggregate Event whose message says so.
 * Best effort: a failure is logged, never thrown. One recorder per operator process (its memory is
 * what counts; a new leader starts new Events, as client-go does).
 */
export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly similar = new Map<string, { since: number; messages: Set<string> }>();
  private readonly cacheSize: number;
  private readonly maxSimilar: number;
  private readonly windowMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly api: KubernetesObjectApi,
    private readonly log: Logger,
    private readonly opts: EventRecorderOptions,
  ) {
    this.cacheSize = opts.cacheSize ?? 4096;
    this.maxSimilar = opts.maxSimilar ?? 10;
    this.windowMs = opts.similarWindowMs ?? 600_000;
    this.now = opts.now ?? (() => new Date());
  }

  async record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const m = target.metadata;
    const objectKey = [target.apiVersion, target.kind, m.namespace, m.name, m.uid, type, reason].join('\u0000');
    let text = message.slice(0, 1024);
    let key = `${objectKey}\u0000${text}`;
    if (!this.seen.has(key) && this.isSimilarFlood(objectKey, text)) {
      text = `(combined from similar events): ${text}`.slice(0, 1024);
      key = `${objectKey}\u0000(combined)`;
    }
    const now = this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    const prior = this.seen.get(key);
    try {
      if (prior) {
        this.touch(key, prior);
        const patched = await this.patch(prior, { count: prior.count + 1, lastTimestamp: now, message: text });
        if (patched) {
          prior.count++;
          return;
        }
        this.seen.delete(key); // expired or deleted: start a new one
      }
      const namespace = m.namespace ?? 'default';
      const name = `${m.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
      await this.api.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: target.apiVersion,
          kind: target.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
        type,
        reason,
        message: text,
        source: { component: this.opts.component },
        reportingComponent: this.opts.component,
        reportingInstance: this.opts.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      } as never);
      this.touch(key, { name, namespace, count: 1 });
    } catch (err) {
      this.log.debug({ reason, err: (err as Error).message }, 'event not recorded');
    }
  }

  /** PATCH count/lastTimestamp/message; false when the Event no longer exists. */
  private async patch(prior: Seen, fields: Record<string, unknown>): Promise<boolean> {
    try {
      await this.api.patch(
        { apiVersion: 'v1', kind: 'Event', metadata: { name: prior.name, namespace: prior.namespace }, ...fields } as never,
        undefined,
        undefined,
        this.opts.component,
        undefined,
        PatchStrategy.MergePatch,
      );
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  }

  private isSimilarFlood(objectKey: string, text: string): boolean {
    const at = this.now().getTime();
    let s = this.similar.get(objectKey);
    if (!s || at - s.since > this.windowMs) {
      s = { since: at, messages: new Set() };
      this.similar.set(objectKey, s);
      if (this.similar.size > this.cacheSize) this.similar.delete(this.similar.keys().next().value!);
    }
    s.messages.add(text);
    return s.messages.size > this.maxSimilar;
  }

  /** Most recently used last; the oldest is forgotten past cacheSize. */
  private touch(key: string, value: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, value);
    if (this.seen.size > this.cacheSize) this.seen.delete(this.seen.keys().next().value!);
  }
}
