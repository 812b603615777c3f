import { hostname } from 'node:os';

/** The id an app instance uses on the bus: configured, else the host name (the pod name on Kubernetes). */
export function instanceId(configured: string | undefined, role: string): string {
  return configured ?? `${hostname()}-${role}-${process.pid}`;
}
