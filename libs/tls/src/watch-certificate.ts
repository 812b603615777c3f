import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface WatchOptions {
  /** Stat fallback for file systems where fs.watch misses events (network mounts). */
  pollMs?: number;
  /** Changes are coalesced: a Secret swap touches several entries at once. */
  debounceMs?: number;
  onError?: (err: Error) => void;
}

export const DEFAULT_CERT_POLL_MS = 10_000;
export const DEFAULT_CERT_DEBOUNCE_MS = 200;

export interface CertificateWatch {
  /** Re-reads now (SIGHUP); calls onChange when the content changed. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Calls onChange with the new PEM pair whenever the files' content changes. Watches the directories,
 * not the files: Kubernetes updates a mounted Secret by swapping a `..data` symlink, which replaces
 * the files' targets without writing to them. The content hash decides, so spurious events are free.
 */
export function watchCertificate(
  files: { certFile: string; keyFile: string },
  onChange: (pair: { key: string; cert: string }) => void | Promise<void>,
  opts: WatchOptions = {},
): CertificateWatch {
  const debounceMs = opts.debounceMs ?? DEFAULT_CERT_DEBOUNCE_MS;
  const onError = opts.onError ?? (() => {});
  let lastHash: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const read = async (): Promise<{ key: string; cert: string; hash: string } | undefined> => {
    try {
      const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
      if (!cert.includes('-----BEGIN CERTIFICATE-----') || !/PRIVATE KEY-----/.test(key)) return undefined; // mid-write
      return { key, cert, hash: createHash('sha256').update(cert).update('\0').update(key).digest('hex') };
    } catch {
      return undefined; // mid-swap: the next event or poll reads it
    }
  };
  const check = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      const pair = await read();
      if (!pair || pair.hash === lastHash) return;
      const first = lastHash === undefined;
      lastHash = pair.hash;
      if (first) return;
      try {
        await onChange({ key: pair.key, cert: pair.cert });
      } catch (err) {
        onError(err as Error);
      }
    });
    return running;
  };
  const schedule = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
  };

  const watchers: FSWatcher[] = [];
  for (const dir of new Set([dirname(files.certFile), dirname(files.keyFile)])) {
    try {
      const w = watch(dir, { persistent: false }, schedule);
      w.on('error', (err) => onError(err));
      watchers.push(w);
    } catch (err) {
      onError(err as Error);
    }
  }
  const poll = setInterval(schedule, opts.pollMs ?? DEFAULT_CERT_POLL_MS);
  poll.unref();
  void check(); // remember the current content

  return {
    check: async () => {
      await running;
      await check();
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
