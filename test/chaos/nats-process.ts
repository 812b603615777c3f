/**
 * A real nats-server with JetStream that the chaos suite can SIGKILL and start again on the same
 * port and store (libs/testing's server stops politely, with SIGTERM; a crash is what we test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accepts, freePort, natsServerBinary, waitFor } from '#libs/testing';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Time nats-server has to accept connections after it was started. */
export const NATS_START_TIMEOUT_MS = 15_000;

export class NatsProcess {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(storeDir: string): Promise<NatsProcess> {
    const n = new NatsProcess(await freePort(), storeDir);
    await n.spawn();
    return n;
  }

  /** Sends `signal` and, unless it is SIGSTOP/SIGCONT, waits for the process to end. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await gone;
    this.child = undefined;
  }

  /** Starts it again on the same port and JetStream store. */
  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    await this.spawn();
  }

  private async spawn(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    const c = spawn(natsServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = c;
    live.add(c);
    let exited = false;
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-4000);
    };
    c.stdout.on('data', keep);
    c.stderr.on('data', keep);
    c.once('exit', () => {
      exited = true;
      live.delete(c);
    });
    c.once('error', (err) => {
      exited = true;
      this.output += String(err);
    });
    await waitFor(
      async () => {
        if (exited) throw new Error(`nats-server exited: ${this.output}`);
        return accepts(this.port);
      },
      { timeoutMs: NATS_START_TIMEOUT_MS, intervalMs: 25, what: `nats-server on port ${this.port}` },
    );
  }
}
