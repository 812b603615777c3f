import type { ArchiveConfig } from '#libs/config';
import type { Logger } from '#libs/telemetry';
import type { Storage } from '#libs/storage';

const DAY_MS = 86_400_000;

/** The retention of `domain` in days (0 = kept until the account goes). */
export function retentionDays(cfg: ArchiveConfig, domain: string): number {
  return cfg.retentionDaysByDomain[domain] ?? cfg.retentionDays;
}

/**
 * One pass of the retention sweep: for each served domain with a retention, the records older than
 * it go. Idempotent, so every router may run it (a cluster's routers repeat each other's deletes
 * harmlessly). Returns how many records went.
 */
export async function sweepArchives(storage: Storage, cfg: ArchiveConfig, domains: readonly string[], now = Date.now()): Promise<number> {
  let removed = 0;
  for (const domain of domains) {
    const days = retentionDays(cfg, domain);
    if (days > 0) removed += await storage.archive.deleteOlderThan(domain, new Date(now - days * DAY_MS));
  }
  return removed;
}

/** Runs the sweep every `archive.sweepIntervalMs` (first pass at once); the returned function stops it. */
export function startRetentionSweeper(storage: Storage, cfg: ArchiveConfig, domains: readonly string[], logger: Logger): () => void {
  let running = false;
  const pass = () => {
    if (running) return; // a slow pass is never overlapped by the next
    running = true;
    sweepArchives(storage, cfg, domains)
      .then((n) => n > 0 && logger.info({ removed: n }, 'archive retention sweep'))
      .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'archive retention sweep failed; next pass retries'))
      .finally(() => (running = false));
  };
  const noRetention = domains.every((d) => retentionDays(cfg, d) === 0);
  if (noRetention) return () => {};
  pass();
  const timer = setInterval(pass, cfg.sweepIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
