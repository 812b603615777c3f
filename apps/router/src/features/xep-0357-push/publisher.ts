import { randomUUID } from 'node:crypto';
import { decodeAck, decodeFrame, encodeFrame, partitionOf, requestRetrying, subjects, token, untoken, type BusSubscription } from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import { NS, isStanzaErrorCondition } from '#libs/stanza';
import type { PushRegistration } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { HookResult } from '#libs/xmpp-kit';
import type { RoutedStanza } from '../../core/routed-stanza.js';
import type { RouterContext } from '../../router.context.js';
import type { RouterHooks } from '../../router.hooks.js';
import { publishIq, type Summary } from './notification.js';
import type { PushConfig } from './push.config.js';
import { pushMetrics, type PushOutcome } from './push.metrics.js';
import { worthPushing } from './worth-pushing.js';

interface Pending {
  owner: string;
  reg: PushRegistration;
  timer: NodeJS.Timeout;
}

/** Errors that say the way to the app server failed, not that the app server refused (§7.1: kept). */
const TRANSIENT = new Set(['remote-server-not-found', 'remote-server-timeout']);

const ID_PREFIX = 'push.';

/**
 * XEP-0357 §7: publishes a notification to every push service an account enabled, and follows each
 * publish to its answer. A publish is a stanza like any other: it goes through the router's own
 * partition of the account (so the addressing table decides: a local client or component, a
 * remote domain), and its answer comes back through whichever router owns the app server's
 * partition, which hands it here on `subjects.pushAnswers(instance)` (the instance is in the id).
 * Nothing is silent: every publish ends counted in glider_push_notifications_total, and logged when
 * it did not succeed.
 */
export class PushPublisher {
  private readonly pending = new Map<string, Pending>();
  private sub: BusSubscription | undefined;
  private readonly instanceToken: string;
  /** Outcomes so far, for tests and logs (the metrics are process-wide). */
  readonly counts: Record<PushOutcome | 'disabled', number> = { published: 0, error: 0, timeout: 0, unreachable: 0, refused: 0, disabled: 0 };

  constructor(
    private readonly ctx: RouterContext,
    private readonly cfg: PushConfig,
  ) {
    this.instanceToken = token(ctx.instanceId);
  }

  start(): void {
    this.sub = this.ctx.bus.subscribe(subjects.pushAnswers(this.ctx.instanceId), (msg) => {
      const env = decodeFrame(msg.data).stanza;
      if (env) void this.onAnswer(env.id, env.from, this.ctx.parseXml(Buffer.from(env.xml).toString('utf8')));
    });
  }

  async stop(): Promise<void> {
    await this.sub?.unsubscribe();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    if (this.pending.size > 0) this.ctx.logger.warn({ pending: this.pending.size }, 'router stopping: push publishes left without an answer');
    this.pending.clear();
  }

  /** `message:waiting`: starts the publishes and returns at once (the routing turn never waits for an app server). */
  onWaiting({ stanza, owner }: RouterHooks['message:waiting']): void {
    const message = stanza.element();
    if (!worthPushing(message)) return;
    void this.notifyAll(owner, this.summary(message, stanza)).catch((err: unknown) => {
      this.ctx.logger.warn({ err: (err as Error).message, jid: owner, stanzaId: stanza.env.id }, 'push notifications not sent: registrations unreadable');
      this.count('unreachable');
    });
  }

  /**
   * `session:detached`: the messages the client had not acknowledged when its connection went (they
   * were written to a socket that was already dead, the usual case of a phone losing its network)
   * make one notification: their count, the last one's sender (and body). Returns at once.
   */
  onDetached({ jid, sessionId }: RouterHooks['session:detached']): void {
    const owner = jid.slice(0, jid.indexOf('/'));
    const notify = async () => {
      const regs = await this.ctx.storage.push.list(owner);
      if (regs.length === 0) return; // most accounts: the queue is not read
      const waking = await this.unacknowledged(sessionId);
      const last = waking.at(-1);
      if (last) await this.publishAll(owner, regs, { ...this.summaryOf(last.el, last.from), messageCount: waking.length });
    };
    void notify().catch((err: unknown) => {
      this.ctx.logger.warn({ err: (err as Error).message, jid, sid: sessionId }, 'push notifications for a detached session not sent');
      this.count('unreachable');
    });
  }

  /** The unacknowledged messages of a detached session's queue that warrant a push, in order. */
  private async unacknowledged(sessionId: string): Promise<{ el: Element; from: string }[]> {
    const out: { el: Element; from: string }[] = [];
    // Items the client acknowledged may still be stored until a trim (edge.sm.trimBatch): the record's `acked` says which.
    const acked = (await this.ctx.resumable.get(sessionId))?.record.acked ?? 0;
    for (const { item } of await this.ctx.resumable.items(sessionId)) {
      if (item.n === undefined || item.n <= acked || item.k !== 'MESSAGE') continue; // held ones were notified when held
      const el = this.ctx.parseXml(typeof item.x === 'string' ? item.x : Buffer.from(item.x).toString('utf8'));
      if (worthPushing(el)) out.push({ el, from: item.fr });
    }
    return out;
  }

  /**
   * `stanza:routing`: an IQ result or error to an account, with an id this router family made, is
   * the answer to a publish: handed to the instance that sent it. Anything else goes on.
   */
  async takeAnswer(st: RoutedStanza): Promise<HookResult> {
    if (st.name !== 'iq' || (st.type !== 'result' && st.type !== 'error') || !st.env.id.startsWith(ID_PREFIX)) return 'continue';
    if (st.to.resource || !st.to.local || !this.ctx.config.domains.includes(st.to.domain)) return 'continue';
    const instance = st.env.id.split('.')[1];
    if (!instance) return 'continue';
    this.ctx.bus.publish(subjects.pushAnswers(untoken(instance)), encodeFrame({ stanza: st.env }));
    return 'stop';
  }

  private summary(message: Element, stanza: RoutedStanza): Summary {
    return this.summaryOf(message, stanza.from.toString());
  }

  private summaryOf(message: Element, sender: string): Summary {
    const body = this.cfg.includeBody ? message.getChildText('body') : undefined;
    return {
      messageCount: 1,
      sender,
      ...(body !== undefined ? { body: [...body].slice(0, this.cfg.maxBodyChars).join('') } : {}),
    };
  }

  private async notifyAll(owner: string, summary: Summary): Promise<void> {
    await this.publishAll(owner, await this.ctx.storage.push.list(owner), summary);
  }

  private async publishAll(owner: string, regs: PushRegistration[], summary: Summary): Promise<void> {
    for (const reg of regs) await this.publish(owner, reg, summary);
  }

  private async publish(owner: string, reg: PushRegistration, summary: Summary): Promise<void> {
    const log = { jid: owner, service: reg.service, node: reg.node };
    if (this.pending.size >= this.cfg.maxPending) {
      this.ctx.logger.warn({ ...log, maxPending: this.cfg.maxPending }, 'push notification refused: too many publishes awaiting an answer');
      return this.count('refused');
    }
    const to = tryParseJid(reg.service);
    const from = tryParseJid(owner);
    if (!to || !from) return this.count('unreachable');
    // A bounce the table decides now (a remote domain with no route to it yet) would come back as an
    // error to the account, which nobody routes to a bare JID: learn it here instead.
    const address = this.ctx.addressing.resolve({ kind: 'iq', type: 'set', from, to, ns: NS.pubsub, phase: 'deliver' });
    if (address.kind === 'bounce' || address.kind === 'drop') {
      this.ctx.logger.warn(
        { ...log, why: address.kind === 'bounce' ? address.condition : address.why },
        'push notification not sent: the app server cannot be reached',
      );
      return this.count('unreachable');
    }
    const id = `${ID_PREFIX}${this.instanceToken}.${randomUUID()}`;
    const iq = publishIq(owner, reg, id, summary, reg.publishOptions ? this.ctx.parseXml(reg.publishOptions) : undefined);
    const timer = setTimeout(() => this.onTimeout(id), this.cfg.publishTimeoutMs);
    timer.unref();
    this.pending.set(id, { owner, reg, timer });
    const env = { from: owner, to: reg.service, kind: 'IQ' as const, type: 'set', id, xml: Buffer.from(iq.toString(), 'utf8'), hops: 0 };
    try {
      const reply = await requestRetrying(this.ctx.bus, subjects.routerIn(partitionOf(owner, this.ctx.config.bus.partitions)), encodeFrame({ stanza: env }), {
        timeoutMs: this.ctx.config.bus.requestTimeoutMs,
      });
      const ack = decodeAck(reply);
      if (!ack.taken) throw new Error(ack.error ?? 'not taken');
    } catch (err) {
      if (!this.settle(id)) return;
      this.ctx.logger.warn({ ...log, err: (err as Error).message }, 'push notification not sent: no router took the publish');
      this.count('unreachable');
    }
  }

  private settle(id: string): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  private onTimeout(id: string): void {
    const p = this.settle(id);
    if (!p) return;
    this.ctx.logger.warn(
      { jid: p.owner, service: p.reg.service, node: p.reg.node, timeoutMs: this.cfg.publishTimeoutMs },
      'push notification unanswered by the app server',
    );
    this.count('timeout');
  }

  private async onAnswer(id: string, from: string, iq: Element): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return void this.ctx.logger.debug({ stanzaId: id, from }, 'push answer after its timeout, or for nothing sent; ignored');
    // Only the push service answers for itself (its own JID, or a resource of it).
    const service = tryParseJid(p.reg.service);
    const sender = tryParseJid(from);
    if (!service || !sender || !(sender.equals(service) || (!service.resource && sender.bare().equals(service)))) {
      return void this.ctx.logger.debug({ stanzaId: id, from, service: p.reg.service }, 'push answer from another JID than the push service; ignored');
    }
    this.settle(id);
    if (iq.attrs.type === 'result') return this.count('published');
    await this.onError(p, iq);
  }

  /** §7.1: an IQ error disables the JID and node, unless it is transient (type wait, or the route failed). */
  private async onError(p: Pending, iq: Element): Promise<void> {
    this.count('error');
    const error = iq.getChild('error');
    const condition = error?.elements().find((c) => c.xmlns === NS.stanzas && isStanzaErrorCondition(c.name))?.name ?? 'undefined-condition';
    const log = { jid: p.owner, service: p.reg.service, node: p.reg.node, condition, errorType: error?.attrs.type };
    if (error?.attrs.type === 'wait' || TRANSIENT.has(condition))
      return void this.ctx.logger.warn(log, 'push notification failed; transient, the registration stays');
    try {
      await this.ctx.storage.push.disable(p.owner, p.reg.service, p.reg.node);
      this.count('disabled');
      this.ctx.logger.info(log, 'push registration disabled: its app server answered a publish with an error (XEP-0357 §7.1)');
    } catch (err) {
      this.ctx.logger.warn({ ...log, err: (err as Error).message }, 'push registration not disabled after an error; the next error retries');
    }
  }

  private count(outcome: PushOutcome | 'disabled'): void {
    this.counts[outcome]++;
    pushMetrics[outcome].add();
  }
}
