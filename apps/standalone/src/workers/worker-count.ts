import { availableCores, type StandaloneConfig } from '#libs/config';

/** `standalone.workers` resolved: `auto` is the cores this process may use (cgroup-aware). */
export function edgeWorkerCount(config: StandaloneConfig, cores: () => number = () => availableCores()): number {
  return config.workers === 'auto' ? cores() : config.workers;
}
