import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { s2sPolicySchema, type S2sConfig } from '#libs/config';
import { DomainPolicy } from './domain-policy.js';

/**
 * The live federation policy: `s2s.policy` from config, or `s2s.policyFile` (JSON, same shape)
 * re-read whenever it changes — a ConfigMap edit takes effect without a restart (issue 13). A file
 * that does not parse or validate keeps the previous policy and reports the error: a typo must
 * not open (or close) federation by accident. Subscribers hear each new policy; the s2s streams
 * use it to close connections to domains no longer allowed.
 */
export interface PolicySourceOptions {
  onError?: (err: Error) => void;
}

export class PolicySource {
  private policy: DomainPolicy;
  private readonly listeners = new Set<(p: DomainPolicy) => void>();
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private lastText: string | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: Pick<S2sConfig, 'policy' | 'policyFile' | 'policyPollMs'>,
    private readonly opts: PolicySourceOptions = {},
  ) {
    this.policy = new DomainPolicy(config.policy);
  }

  current(): DomainPolicy {
    return this.policy;
  }

  onChange(listener: (p: DomainPolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the policy file once (failing fast at boot on a bad one) and starts watching it. */
  async start(): Promise<void> {
    const file = this.config.policyFile;
    if (!file) return;
    const text = await readFile(file, 'utf8');
    this.policy = parsePolicy(text, file);
    this.lastText = text;
    // the directory, not the file: a Kubernetes ConfigMap update swaps a `..data` symlink
    this.watcher = watch(dirname(file), (_event, name) => {
      if (name === null || name === basename(file) || name.startsWith('..')) void this.check();
    });
    this.watcher.on('error', (err) => this.opts.onError?.(err));
    this.poll = setInterval(() => void this.check(), this.config.policyPollMs);
    this.poll.unref();
  }

  /** Re-reads the file now (also on SIGHUP); resolves once any change is applied. */
  check(): Promise<void> {
    const file = this.config.policyFile;
    if (!file) return Promise.resolve();
    this.running = this.running.then(async () => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.onError?.(err as Error);
        return; // mid-swap: the next event or poll reads it
      }
      if (text === this.lastText) return;
      this.lastText = text;
      try {
        this.policy = parsePolicy(text, file);
      } catch (err) {
        this.opts.onError?.(err as Error);
        return;
      }
      for (const l of this.listeners) l(this.policy);
    });
    return this.running;
  }

  stop(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
  }
}

function parsePolicy(text: string, file: string): DomainPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`s2s.policyFile ${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = s2sPolicySchema.safeParse(json);
  if (!parsed.success) throw new Error(`s2s.policyFile ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return new DomainPolicy(parsed.data);
}
