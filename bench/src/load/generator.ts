// The coordinator's handle on its generator processes: forks them, sends each its share of a
// command, and collects the replies with each process's CPU use.
import { type ChildProcess, fork } from 'node:child_process';
import type { Command, Reply, Usage } from './protocol.js';

export interface WorkerReply<T> {
  result: T;
  usage: Usage;
}

export class Generator {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  private constructor(private readonly workers: ChildProcess[]) {
    for (const w of workers) {
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        p?.resolve(r);
      });
      w.on('exit', (code) => {
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(new Error(`generator process exited (${code})`));
        }
      });
    }
  }

  static start(count: number): Generator {
    const path = new URL('./worker.js', import.meta.url);
    const workers = Array.from({ length: Math.max(1, count) }, () =>
      fork(path, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--enable-source-maps'] }),
    );
    return new Generator(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends `cmds[i]` to worker i (null: nothing for that worker) and waits for every reply. */
  async each<T>(cmds: Array<Command | null>): Promise<Array<WorkerReply<T>>> {
    const replies = await Promise.all(cmds.map((cmd, i) => (cmd ? this.request(this.workers[i]!, cmd) : Promise.resolve(null))));
    const out: Array<WorkerReply<T>> = [];
    for (const r of replies) {
      if (!r) continue;
      if (!r.ok) throw new Error(`generator failed: ${r.error}`);
      out.push({ result: r.result as T, usage: r.usage });
    }
    return out;
  }

  all<T>(cmd: Command): Promise<Array<WorkerReply<T>>> {
    return this.each<T>(this.workers.map(() => cmd));
  }

  private request(w: ChildProcess, cmd: Command): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.send({ id, cmd });
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            const t = setTimeout(() => w.kill('SIGKILL'), 5000);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            w.disconnect();
          }),
      ),
    );
  }
}

/** Splits `items` into `n` contiguous shares as equal as possible. */
export function shares<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(items.length / n) + (i < items.length % n ? 1 : 0);
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
