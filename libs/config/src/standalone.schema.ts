import { z } from 'zod';

/**
 * `standalone` on every core (docs/decisions.md, "Standalone on every core"): the edge runs in
 * worker threads sharing the listening ports (SO_REUSEPORT), the primary thread keeps router,
 * presence, muc, media-relay, admin, the bus and the database's single writer.
 */
export const standaloneSchema = z.strictObject({
  /**
   * Edge worker threads. 1 = no workers: the edge runs in the one thread with everything else
   * (as before). `auto` = the cores this process may use (cgroup cpu.max, CPU affinity), and 1
   * on a one-core machine. N ≥ 2 = N edge workers, the primary keeps the rest.
   */
  workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default(1),
  /** How long the primary waits for a worker to bind its listeners before giving up on starting. */
  workerStartTimeoutMs: z.number().int().min(100).default(60_000),
  /** A worker that dies is replaced (new edge id; its sessions end or wait for resumption) after this delay. */
  workerRestartDelayMs: z.number().int().min(0).default(1_000),
});

export type StandaloneConfig = z.infer<typeof standaloneSchema>;
