import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { meta, names, selectorLabels } from '../names.js';
import { ports } from './glider-config.js';

/** The edge Service: c2s (STARTTLS and direct TLS), s2s and, if enabled, WebSocket. */
export function edgeService(x: XmppCluster) {
  const svc = x.spec.edgeService;
  // The WebSocket ports carry the standard Kubernetes app protocols, so gateways treat them right.
  const appProtocols: Record<string, string> = { ws: 'kubernetes.io/ws', wss: 'kubernetes.io/wss' };
  const tcp = (name: string, port: number) => ({ name, port, targetPort: port, protocol: 'TCP', ...(appProtocols[name] ? { appProtocol: appProtocols[name] } : {}) });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta(x, names.component(x, 'edge'), 'edge'), ...(svc.annotations ? { annotations: svc.annotations } : {}) },
    spec: {
      type: svc.type,
      selector: selectorLabels(x, 'edge'),
      ...(svc.type === 'ClusterIP' ? {} : { externalTrafficPolicy: 'Local' }),
      ports: [
        tcp('xmpp-client', ports.c2s),
        tcp('xmpps-client', ports.directTls),
        tcp('xmpp-server', ports.s2s),
        ...(svc.webSocket ? [tcp('ws', ports.ws), tcp('wss', ports.wss)] : []),
      ],
    },
  };
}

/** The media relay: STUN/TURN, the SOCKS5 proxy and HTTP upload. */
export function mediaRelayService(x: XmppCluster) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(x, names.component(x, 'mediaRelay'), 'mediaRelay'),
    spec: {
      type: x.spec.edgeService.type,
      selector: selectorLabels(x, 'mediaRelay'),
      ports: [
        { name: 'turn-udp', port: 3478, targetPort: 3478, protocol: 'UDP' },
        { name: 'turn-tcp', port: 3478, targetPort: 3478, protocol: 'TCP' },
        { name: 'socks5', port: 7777, targetPort: 7777, protocol: 'TCP' },
        { name: 'http-upload', port: 5281, targetPort: 5281, protocol: 'TCP' },
      ],
    },
  };
}
