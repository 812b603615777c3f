import { declaration, servedPorts } from '../../../api/v1alpha1/components.js';
import type { ComponentName } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { meta, names, selectorLabels } from '../names.js';

/**
 * The Service of a component with client-facing ports (the edge: c2s with STARTTLS, direct TLS
 * and, if `edgeService.webSocket`, WebSocket; with `federation.enabled`, s2s 5269/5270). Its ports are exactly those the component's app
 * serves (components.ts), so it offers nothing that does not answer. Undefined when it has none.
 */
export function componentService(x: XmppCluster, c: ComponentName) {
  const svc = x.spec.edgeService;
  const ports = servedPorts(c, { webSocket: svc.webSocket, federation: x.spec.federation.enabled });
  if (ports.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta(x, names.component(x, c), c), ...(svc.annotations ? { annotations: svc.annotations } : {}) },
    spec: {
      type: svc.type,
      selector: selectorLabels(x, c),
      ...(svc.type === 'ClusterIP' ? {} : { externalTrafficPolicy: 'Local' }),
      // The WebSocket ports carry the standard Kubernetes app protocols, so gateways treat them right.
      ports: ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  };
}

/**
 * The ClusterIP Service of a component's in-cluster ports (components.ts `internal`: the router's
 * admin API as `<cluster>-admin`). Never exposed outside the cluster, whatever `edgeService` says;
 * what answers there still wants TLS and the admin token. Undefined when it has none.
 */
export function internalService(x: XmppCluster, c: ComponentName) {
  const internal = declaration(c).internal;
  if (!internal || internal.ports.length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(x, names.internalService(x, internal.service), c),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(x, c),
      ports: internal.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  };
}
