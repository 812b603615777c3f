/**
 * Readiness checks: each returns undefined when fine, else why not (shown on /healthz/ready).
 * Liveness is the process answering at all.
 */
export type HealthCheck = () => string | undefined | Promise<string | undefined>;

export class HealthRegistry {
  private readonly checks = new Map<string, { check: HealthCheck; critical: boolean }>();
  private draining = false;
  private started = false;

  /** Until the app has finished starting (every listener bound), it is not ready. */
  markStarted(): void {
    this.started = true;
  }

  /**
   * `critical: false` shows the check's problem on /healthz/ready without making the process unready:
   * for a dependency only some requests need (one domain's directory), where taking the whole
   * instance out of its Service would refuse everyone else too.
   */
  register(name: string, check: HealthCheck, opts: { critical?: boolean } = {}): () => void {
    this.checks.set(name, { check, critical: opts.critical ?? true });
    return () => this.checks.delete(name);
  }

  /** An edge goes unready before it drains, so the Service stops sending it clients. */
  setDraining(draining: boolean): void {
    this.draining = draining;
  }

  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ready = !this.draining && this.started;
    if (!this.started) checks.startup = 'starting';
    if (this.draining) checks.drain = 'draining';
    for (const [name, { check, critical }] of this.checks) {
      let problem: string | undefined;
      try {
        problem = await check();
      } catch (err) {
        problem = `check failed: ${(err as Error).message}`;
      }
      checks[name] = problem ?? 'ok';
      if (problem && critical) ready = false;
    }
    return { ready, checks };
  }
}
