import type { XmppClusterStatus } from '../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { condition, type Problem } from './conditions.js';

export interface ComponentObservation {
  desired: number;
  replicas: number;
  ready: number;
  updated: boolean;
  draining?: { pod: string; since: string }[];
}

export interface CertificateObservation {
  secretName: string;
  notAfter?: Date;
  serialNumber?: string;
  caNotAfter?: Date;
}

/**
 * The whole status from what this pass saw (pure): phase, conditions with reasons, ready components,
 * certificate expiry and observedGeneration. Degraded names the first problem; Ready needs every
 * enabled component at its desired ready replicas and no problem.
 */
export function computeStatus(
  x: XmppCluster,
  components: Record<string, ComponentObservation>,
  problems: Problem[],
  cert: CertificateObservation | undefined,
  now: Date,
): XmppClusterStatus {
  const gen = x.metadata.generation;
  const prev = x.status?.conditions;
  const entries = Object.entries(components);
  const readyCount = entries.filter(([, c]) => c.ready >= c.desired && c.updated && !c.draining?.length).length;
  const allReady = readyCount === entries.length;
  const draining = entries.filter(([, c]) => c.draining?.length).map(([n]) => n);
  const notReady = entries.filter(([, c]) => !(c.ready >= c.desired && c.updated)).map(([n, c]) => `${n} ${c.ready}/${c.desired}`);
  const degraded = problems[0];
  const progressing = !allReady || draining.length > 0;

  const conditions = [
    degraded
      ? condition(prev, 'Ready', 'False', degraded.reason, degraded.message, gen, now)
      : allReady
        ? condition(prev, 'Ready', 'True', 'AllComponentsReady', `${readyCount}/${entries.length} components ready`, gen, now)
        : condition(prev, 'Ready', 'False', 'ComponentsNotReady', `not ready: ${notReady.join(', ') || draining.join(', ')}`, gen, now),
    progressing
      ? condition(
          prev,
          'Progressing',
          'True',
          draining.length ? 'Draining' : 'RollingOut',
          draining.length ? `draining ${draining.join(', ')} before scale-down` : `waiting for ${notReady.join(', ')}`,
          gen,
          now,
        )
      : condition(prev, 'Progressing', 'False', 'Stable', 'all components are at their desired replicas', gen, now),
    degraded
      ? condition(prev, 'Degraded', 'True', degraded.reason, problems.map((p) => p.message).join('; '), gen, now)
      : condition(prev, 'Degraded', 'False', 'AsExpected', 'no problem found', gen, now),
  ];
  const phase = degraded ? 'Degraded' : progressing ? 'Progressing' : 'Ready';
  const iso = (d: Date | undefined) => d?.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    observedGeneration: gen,
    phase,
    readyComponents: `${readyCount}/${entries.length}`,
    conditions,
    components: Object.fromEntries(
      entries.map(([n, c]) => [
        n,
        { replicas: c.replicas, readyReplicas: c.ready, desiredReplicas: c.desired, ...(c.draining?.length ? { draining: c.draining } : {}) },
      ]),
    ),
    ...(cert
      ? {
          certificate: {
            secretName: cert.secretName,
            ...(cert.notAfter ? { notAfter: iso(cert.notAfter) } : {}),
            ...(cert.serialNumber ? { serialNumber: cert.serialNumber } : {}),
            ...(cert.caNotAfter ? { caNotAfter: iso(cert.caNotAfter) } : {}),
          },
        }
      : {}),
  };
}
