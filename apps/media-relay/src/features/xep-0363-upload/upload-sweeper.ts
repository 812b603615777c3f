import type { UploadsRepository } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import type { UploadStats } from './upload.types.js';

/**
 * Deletes expired files every `intervalMs` (media.upload.fileTtlMs, sweepIntervalMs). Every replica
 * sweeps: a delete is idempotent, and two replicas deleting one file cost one wasted call.
 */
export function startUploadSweeper(uploads: UploadsRepository, intervalMs: number, stats: UploadStats, logger: Logger): () => void {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const n = await uploads.deleteExpired(new Date());
      stats.expired += n;
      if (n > 0) logger.info({ deleted: n }, 'expired uploads deleted');
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'sweeping expired uploads failed; next time');
    } finally {
      running = false;
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
