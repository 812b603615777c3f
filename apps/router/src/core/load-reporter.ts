import { encodeFrame, subjects } from '#libs/bus';
import type { RouterContext } from '../router.context.js';

/** Publishes this router's stanza rate every heartbeat, for the operator's autoscaler. */
export class LoadReporter {
  private timer: NodeJS.Timeout | undefined;
  private last = { at: Date.now(), count: 0 };

  constructor(
    private readonly ctx: RouterContext,
    private readonly routedSoFar: () => number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.report(), this.ctx.config.bus.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  report(): void {
    const now = Date.now();
    const count = this.routedSoFar();
    const seconds = Math.max((now - this.last.at) / 1000, 0.001);
    const rate = (count - this.last.count) / seconds;
    this.last = { at: now, count };
    const load = { component: 'router', instance: this.ctx.instanceId, stanzasPerSecond: rate, atMs: now };
    this.ctx.bus.publish(subjects.load('router', this.ctx.instanceId), encodeFrame({ load }));
  }
}
