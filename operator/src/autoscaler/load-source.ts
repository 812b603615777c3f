/** One load report from a component instance (the bus LoadReport, decoded). */
export interface LoadSample {
  component: string;
  instance: string;
  connections: number;
  stanzasPerSecond: number;
  atMs: number;
  draining: boolean;
}

/**
 * Where load reports come from and where drain commands go, for one bus (NATS URL). The operator
 * runs on NATS (NatsLoadSource); tests may feed reports directly (MemoryLoadSource).
 */
export interface LoadSource {
  /** Connects and starts delivering reports to `onSample`. Rejects if the bus is unreachable. */
  start(onSample: (s: LoadSample) => void): Promise<void>;
  /** Asks one edge (by its instance id, the pod name) to drain. */
  drain(edgeId: string): Promise<void>;
  /** undefined when healthy, else why not (e.g. the bus is unreachable). */
  readonly problem: string | undefined;
  stop(): Promise<void>;
}

export type LoadSourceFactory = (natsUrl: string, credentials?: string) => LoadSource;

/** The latest report of every instance; reports older than `staleMs` do not count. */
export class LoadBook {
  private readonly latest = new Map<string, LoadSample>();
  private readonly drainingSeenAt = new Map<string, number>();

  constructor(private readonly staleMs: number) {}

  record(s: LoadSample): void {
    const key = `${s.component}/${s.instance}`;
    this.latest.set(key, s);
    if (s.draining) this.drainingSeenAt.set(key, s.atMs);
  }

  /**
   * True once the instance reported draining at or after `sinceMs` and then either has no
   * connections left or reports as a fresh, non-draining process (the drained one exited and the
   * kubelet restarted the container).
   */
  drainedSince(component: string, instance: string, sinceMs: number, nowMs: number): boolean {
    const seen = this.drainingSeenAt.get(`${component}/${instance}`) ?? -Infinity;
    const s = this.get(component, instance, nowMs);
    return seen >= sinceMs && !!s && (!s.draining || s.connections === 0);
  }

  get(component: string, instance: string, nowMs: number): LoadSample | undefined {
    const s = this.latest.get(`${component}/${instance}`);
    return s && nowMs - s.atMs <= this.staleMs ? s : undefined;
  }

  forget(component: string, instance: string): void {
    this.latest.delete(`${component}/${instance}`);
    this.drainingSeenAt.delete(`${component}/${instance}`);
  }
}

/** An in-memory bus for tests and for running without NATS: `publish` plays the role of a component. */
export class MemoryLoadSource implements LoadSource {
  private onSample: ((s: LoadSample) => void) | undefined;
  readonly drained: string[] = [];
  problem: string | undefined;

  async start(onSample: (s: LoadSample) => void): Promise<void> {
    this.onSample = onSample;
  }

  publish(s: LoadSample): void {
    this.onSample?.(s);
  }

  async drain(edgeId: string): Promise<void> {
    this.drained.push(edgeId);
  }

  async stop(): Promise<void> {
    this.onSample = undefined;
  }
}
