import type { ConnectTarget } from '#libs/federation';
import type { StanzaErrorCondition } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { Transport } from '../transport/transport.js';
import type { S2sContext } from './s2s-context.js';
import { S2sConnectError, S2sOutStream } from './s2s-out.stream.js';

/** How the pool reaches the network; the edge passes s2s-dial.ts, tests the same with `s2s.routes`. */
export interface S2sPoolIo {
  targets(remote: string): Promise<ConnectTarget[] | 'no-service'>;
  dial(target: ConnectTarget, remote: string): Promise<Transport>;
  /** A stanza that will not be sent: the caller answers its sender with this error (never silently lost). */
  bounce(el: Element, condition: StanzaErrorCondition, text: string): void | Promise<void>;
}

/** How one stanza is tracked: `settled` runs once it was written or bounced (s2s-out-queue.ts then forgets it). */
export interface SendOptions {
  settled?: () => void;
  /** When it bounces with `remote-server-timeout` if still not sent (default: now + `s2s.queueTimeoutMs`). */
  deadline?: number;
}

interface Queued {
  el: Element;
  timer: NodeJS.Timeout;
  opts: SendOptions;
}

/** One (local, remote) domain pair: its stream when there is one, and what waits for it. */
interface Link {
  local: string;
  remote: string;
  stream: S2sOutStream | undefined;
  connecting: boolean;
  queue: Queued[];
  /** After a failed attempt, stanzas bounce at once until then (s2s.retryBackoffMs). */
  failedUntil: number;
  failure: { condition: StanzaErrorCondition; text: string } | undefined;
  /** Handed over to another edge: nothing more is sent or bounced from here. */
  abandoned: boolean;
}

/**
 * Outbound federation for this edge: one connection per (local, remote) domain pair, reused
 * (RFC 6120 §4.1 s2s streams are one-way; XEP-0288 is not used). Stanzas wait while it connects,
 * at most `s2s.maxQueuedStanzas` per pair and `s2s.queueTimeoutMs` each; when connecting fails they
 * bounce with `remote-server-not-found` or `remote-server-timeout` (RFC 6120 §8.3.3), never
 * silently. A domain the policy refuses gets nothing (`remote-server-not-found`), and a policy
 * change closes the streams of domains no longer allowed.
 */
export class S2sPool {
  private readonly links = new Map<string, Link>();

  constructor(
    private readonly ctx: S2sContext,
    private readonly io: S2sPoolIo,
  ) {}

  send(el: Element, local: string, remote: string, opts: SendOptions = {}): void {
    const decision = this.ctx.policy().decide(remote);
    if (!decision.allowed) {
      this.ctx.refused?.('out', remote, decision.why);
      return this.bounce(el, opts, 'remote-server-not-found', `${remote} cannot be reached from here`);
    }
    const link = this.link(local, remote);
    if (link.stream?.state === 'ready') return this.write(link, el, opts);
    if (!link.connecting && link.failure && Date.now() < link.failedUntil) return this.bounce(el, opts, link.failure.condition, link.failure.text);
    const s2s = this.ctx.config.s2s;
    if (link.queue.length >= s2s.maxQueuedStanzas) return this.bounce(el, opts, 'resource-constraint', `too many stanzas wait for ${remote}`);
    const deadline = opts.deadline ?? Date.now() + s2s.queueTimeoutMs;
    const queued: Queued = {
      el,
      opts,
      timer: setTimeout(
        () => {
          link.queue = link.queue.filter((q) => q !== queued);
          this.bounce(el, opts, 'remote-server-timeout', `${remote} could not be reached in time`);
        },
        Math.max(0, deadline - Date.now()),
      ),
    };
    queued.timer.unref();
    link.queue.push(queued);
    if (!link.connecting) void this.connect(link);
  }

  /**
   * `remote` just authenticated a stream to us: its server is up. A failed attempt's back-off
   * (`s2s.retryBackoffMs`, stanzas bounced at once) ends for its pairs, so what we send it next
   * dials again: a peer that restarts and whose users rejoin our rooms at once is not bounced
   * (each bounce of a room's presence takes the occupant out again, XEP-0045 333).
   */
  peerReachable(remote: string): void {
    for (const link of this.links.values()) {
      if (link.remote !== remote || link.connecting || !link.failure) continue;
      link.failure = undefined;
      link.failedUntil = 0;
    }
  }

  /** The open outbound streams, for metrics and tests. */
  streams(): S2sOutStream[] {
    return [...this.links.values()].flatMap((l) => (l.stream ? [l.stream] : []));
  }

  /** After a policy change: streams to domains no longer allowed close (their queued stanzas bounce). */
  enforcePolicy(): void {
    const policy = this.ctx.policy();
    for (const link of this.links.values()) {
      if (link.stream?.reliesOnDialback && !policy.dialbackFor(link.remote)) {
        // dialback switched off: the stream closes; the next stanza connects again and needs a valid certificate
        this.ctx.refused?.('out', link.remote, 'dialback switched off');
        link.stream.close();
      }
      if (policy.allows(link.remote)) continue;
      this.ctx.refused?.('out', link.remote, 'policy changed');
      link.stream?.close();
      this.fail(link, 'remote-server-not-found', `${link.remote} cannot be reached from here`);
    }
  }

  /**
   * Hands the pairs whose remote domain `match`es over to another edge: their streams close and
   * what waits is let go without a bounce (it is in the durable queue, which the next owner sends).
   * Resolves once the streams have closed, so every write that was under way has settled.
   */
  async abandon(match: (remote: string) => boolean): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, link] of this.links) {
      if (!match(link.remote)) continue;
      this.links.delete(key);
      link.abandoned = true;
      for (const q of link.queue) clearTimeout(q.timer);
      link.queue = [];
      const stream = link.stream;
      if (!stream || stream.state === 'closed') continue;
      closing.push(new Promise<void>((resolve) => stream.onClosed(resolve)));
      // a ready stream closes in turn after what it is writing; one still negotiating has nothing under way
      if (stream.state === 'ready') stream.close();
      else stream.transport.destroy();
    }
    await Promise.all(closing);
  }

  /** Closes every stream; what still waits bounces (the edge is stopping). */
  stop(): void {
    for (const link of this.links.values()) {
      link.stream?.close();
      this.fail(link, 'remote-server-timeout', 'the server is shutting down');
    }
    this.links.clear();
  }

  private link(local: string, remote: string): Link {
    const key = `${local} ${remote}`;
    let link = this.links.get(key);
    if (!link) {
      link = { local, remote, stream: undefined, connecting: false, queue: [], failedUntil: 0, failure: undefined, abandoned: false };
      this.links.set(key, link);
    }
    return link;
  }

  private write(link: Link, el: Element, opts: SendOptions): void {
    link.stream!.deliver(el, (outcome) => {
      if (outcome.kind === 'held') return;
      if (outcome.kind !== 'unwritten') return opts.settled?.();
      // Handed over: the next owner sends it from the durable queue.
      if (link.abandoned) return;
      // The connection went before the bytes left: send it again on a new one (order is kept per pair).
      this.send(el, link.local, link.remote, opts);
    });
  }

  private bounce(el: Element, opts: SendOptions, condition: StanzaErrorCondition, text: string): void {
    const settled = opts.settled;
    let pending: void | Promise<void> = undefined;
    try {
      pending = this.io.bounce(el, condition, text);
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message, stanzaId: el.attrs.id }, 'bounce failed');
    }
    if (!settled) return;
    if (pending) void pending.then(settled, settled);
    else settled();
  }

  private async connect(link: Link): Promise<void> {
    link.connecting = true;
    let last = new S2sConnectError('remote-server-not-found', `${link.remote} cannot be reached`);
    try {
      if (await this.piggyback(link)) return;
      const targets = await this.io.targets(link.remote);
      if (targets === 'no-service') throw new S2sConnectError('remote-server-not-found', `${link.remote} offers no XMPP service`);
      for (const target of targets) {
        try {
          const transport = await this.io.dial(target, link.remote);
          if (link.abandoned) return transport.destroy();
          const stream = new S2sOutStream(this.ctx, transport, link.local, link.remote, target.dane);
          link.stream = stream;
          stream.onClosed(() => this.gone(link, stream));
          await stream.ready;
          if (link.abandoned) return stream.close();
          link.connecting = false;
          link.failure = undefined;
          return this.flush(link);
        } catch (err) {
          last = err instanceof S2sConnectError ? err : new S2sConnectError('remote-server-not-found', (err as Error).message);
          this.ctx.logger.info({ remote: link.remote, host: target.host, port: target.port, err: last.message }, 's2s connection attempt failed');
        }
      }
    } catch (err) {
      last = err instanceof S2sConnectError ? err : new S2sConnectError('remote-server-not-found', (err as Error).message);
    }
    link.connecting = false;
    link.stream = undefined;
    if (link.abandoned) return;
    link.failedUntil = Date.now() + this.ctx.config.s2s.retryBackoffMs;
    this.fail(link, last.condition, last.message);
  }

  /**
   * XEP-0220 §2.6.1 sender multiplexing: when another of our domains already has a ready stream to
   * this remote domain over dialback with error handling, this pair asks for its own verdict on it
   * instead of opening a connection. False when there is none or the peer refused (then we dial).
   */
  private async piggyback(link: Link): Promise<boolean> {
    const shared = [...this.links.values()].find(
      (l) => l !== link && l.remote === link.remote && l.stream?.state === 'ready' && l.stream.dialbackErrors,
    )?.stream;
    if (!shared) return false;
    try {
      await shared.authorize(link.local);
    } catch (err) {
      this.ctx.logger.info({ remote: link.remote, local: link.local, err: (err as Error).message }, 'piggybacking refused; opening a connection of its own');
      return false;
    }
    if (link.abandoned) return true; // handed over meanwhile; the shared stream is the other pair's too
    link.stream = shared;
    shared.onClosed(() => this.gone(link, shared));
    link.connecting = false;
    link.failure = undefined;
    this.flush(link);
    return true;
  }

  private flush(link: Link): void {
    const queue = link.queue;
    link.queue = [];
    for (const q of queue) {
      clearTimeout(q.timer);
      this.write(link, q.el, q.opts);
    }
  }

  private fail(link: Link, condition: StanzaErrorCondition, text: string): void {
    link.failure = { condition, text };
    const queue = link.queue;
    link.queue = [];
    for (const q of queue) {
      clearTimeout(q.timer);
      this.bounce(q.el, q.opts, condition, text);
    }
  }

  private gone(link: Link, stream: S2sOutStream): void {
    if (link.stream !== stream) return;
    link.stream = undefined;
    if (link.abandoned) return;
    if (link.queue.length > 0 && !link.connecting) void this.connect(link);
  }
}
