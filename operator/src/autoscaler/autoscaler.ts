import type { ComponentSpec } from '../api/v1alpha1/xmpp-cluster.schema.js';
import type { LoadSample } from './load-source.js';

type Autoscaling = NonNullable<ComponentSpec['autoscaling']>;

/** Replicas the load asks for, before stabilisation: enough for both connections and stanza rate. */
export function rawRecommendation(a: Autoscaling, samples: LoadSample[], current: number): number {
  if (samples.length === 0) return clamp(current, a);
  const connections = samples.reduce((n, s) => n + s.connections, 0);
  const rate = samples.reduce((n, s) => n + s.stanzasPerSecond, 0);
  const wants = [a.minReplicas];
  if (a.targetConnectionsPerReplica) wants.push(Math.ceil(connections / a.targetConnectionsPerReplica));
  if (a.targetStanzasPerSecondPerReplica) wants.push(Math.ceil(rate / a.targetStanzasPerSecondPerReplica));
  return clamp(Math.max(...wants), a);
}

const clamp = (n: number, a: Autoscaling): number => Math.min(a.maxReplicas, Math.max(a.minReplicas, n));

/**
 * Per-component stabilisation, as the HPA does it: scale up at once, scale down only to the highest
 * recommendation seen within the window, so a short dip does not remove pods that are needed again.
 */
export class Autoscaler {
  private readonly history = new Map<string, { atMs: number; replicas: number }[]>();

  recommend(key: string, a: Autoscaling, samples: LoadSample[], current: number, nowMs: number): number {
    const raw = rawRecommendation(a, samples, current);
    const windowMs = a.stabilizationWindowSeconds * 1000;
    const h = (this.history.get(key) ?? []).filter((e) => nowMs - e.atMs <= windowMs);
    h.push({ atMs: nowMs, replicas: raw });
    this.history.set(key, h);
    if (raw >= current) return raw;
    return Math.min(current, Math.max(...h.map((e) => e.replicas)));
  }

  forget(prefix: string): void {
    for (const k of this.history.keys()) if (k.startsWith(prefix)) this.history.delete(k);
  }
}
