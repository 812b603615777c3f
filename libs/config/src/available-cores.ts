import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

type Read = (file: string) => string | undefined;

const readOrUndefined: Read = (file) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * The cores this process may use: the CPUs its affinity allows (`os.availableParallelism()`),
 * capped by the cgroup's CPU quota rounded up (v2 `/sys/fs/cgroup/cpu.max` "quota period", v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us`; "max" or -1 = no quota). A container limited to 1.5
 * CPUs on a 16-core node gets 2, not 16. At least 1.
 */
export function availableCores(read: Read = readOrUndefined, cpus: number = availableParallelism()): number {
  let quota: number | undefined;
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  if (v2 && v2[0] !== 'max' && v2.length === 2) {
    const [q, p] = v2.map(Number) as [number, number];
    if (q > 0 && p > 0) quota = q / p;
  } else if (!v2) {
    const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim());
    const p = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim());
    if (q > 0 && p > 0) quota = q / p;
  }
  const cores = quota === undefined ? cpus : Math.min(cpus, Math.ceil(quota - 1e-9));
  return Math.max(1, cores);
}
