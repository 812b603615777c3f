/**
 * Glider's deployable components, declared once. The CRD schema (xmpp-cluster.schema.ts), the
 * chart (its generated `_components.tpl`: NOTES and the first-cluster check) and the reconciler
 * (Deployments, container ports, Services, the generated config's ports) all read this table, so
 * they can only offer what exists:
 *
 * - a component with an `app` runs `dist/apps/<app>/src/main.js`; one without is not built yet,
 *   and asking for it is refused (a CRD rule, the chart, and a Degraded condition naming it);
 * - a port is declared only with the libs/config key the app listens on, so a port nothing
 *   serves cannot be advertised; the s2s ports only with `spec.federation.enabled` (s2s.enabled).
 *
 * When an app lands (apps/muc, an s2s listener) its line here is what changes;
 * components.spec.ts checks every line against the tree and libs/config.
 */
export interface PortDeclaration {
  /** Container port and Service port name (IANA service names where there is one). */
  name: string;
  port: number;
  /** The libs/config key whose listener serves it; the operator sets it to `port`. */
  configKey: string;
  /** For humans: NOTES.txt and docs. */
  description: string;
  appProtocol?: string;
  /** Served (and so offered) only with `edgeService.webSocket`. */
  webSocket?: boolean;
  /** Served (and so offered) only with `federation.enabled` (libs/config `s2s.enabled`). */
  federation?: boolean;
  /** Default TCP; TURN also listens on UDP (libs/runtime ListenPort `protocol: 'udp'`). */
  protocol?: 'UDP';
}

export interface ComponentDeclaration {
  /** `apps/<app>`, when it exists. */
  app?: string;
  /** What it does, for messages and docs. */
  summary: string;
  /** Its instance id env variable (libs/config): the pod name, so load reports and DRAIN match pods. */
  instanceIdEnv?: string;
  /** Env variables (libs/config keys) set to the pod's IP, for what replicas of it dial on each other. */
  podIpEnv?: readonly string[];
  /** Client-facing ports; a component with some gets a Service `<cluster>-<component>`. */
  ports: readonly PortDeclaration[];
  /**
   * Ports for callers inside the cluster only (never `edgeService`): a ClusterIP Service
   * `<cluster>-<service>` with these ports, selecting this component's pods.
   */
  internal?: { service: string; ports: readonly PortDeclaration[] };
  /** Off unless the spec enables it (`enabled` defaults to false): it needs setup a cluster does not have by default. */
  optIn?: boolean;
}

/**
 * media-relay's STUN/TURN listeners (apps/media-relay rfc8656-turn, docs/media.md). The relay port
 * range is not here: it is reached on the node's address with `spec.turn.hostNetwork`.
 */
const TURN_PORTS = [
  { name: 'turn-udp', port: 3478, configKey: 'media.turn.udpPort', description: 'STUN/TURN over UDP', protocol: 'UDP' },
  { name: 'turn-tcp', port: 3478, configKey: 'media.turn.tcpPort', description: 'TURN over TCP' },
  { name: 'turns', port: 5349, configKey: 'media.turn.tlsPort', description: 'TURN over TLS' },
] as const satisfies readonly PortDeclaration[];

export const COMPONENTS = {
  edge: {
    app: 'edge',
    summary: 'client connections (c2s, direct TLS, WebSocket)',
    instanceIdEnv: 'GLIDER_EDGE__ID',
    ports: [
      { name: 'xmpp-client', port: 5222, configKey: 'edge.c2sPort', description: 'c2s, STARTTLS' },
      { name: 'xmpps-client', port: 5223, configKey: 'edge.directTlsPort', description: 'direct TLS' },
      {
        name: 'ws',
        port: 5280,
        configKey: 'edge.wsPort',
        description: 'WebSocket, plain, behind your TLS proxy',
        appProtocol: 'kubernetes.io/ws',
        webSocket: true,
      },
      { name: 'wss', port: 5443, configKey: 'edge.wssPort', description: 'WebSocket over TLS', appProtocol: 'kubernetes.io/wss', webSocket: true },
      // Federation (RFC 6120 s2s, XEP-0368 direct TLS), docs/federation.md.
      { name: 'xmpp-server', port: 5269, configKey: 's2s.port', description: 'federation (s2s), STARTTLS', federation: true },
      { name: 'xmpps-server', port: 5270, configKey: 's2s.directTlsPort', description: 'federation over direct TLS (XEP-0368)', federation: true },
    ],
  },
  router: {
    app: 'router',
    summary: 'routing, server IQs, offline storage, the admin API',
    instanceIdEnv: 'GLIDER_ROUTER__ID',
    ports: [],
    // gliderctl and in-cluster tools; TLS with the cluster certificate and the admin token (docs/security.md).
    internal: {
      service: 'admin',
      ports: [{ name: 'admin', port: 5582, configKey: 'admin.grpcPort', description: 'admin gRPC API (TLS and the admin token)' }],
    },
  },
  presence: { app: 'presence', summary: 'rosters, subscriptions, presence', instanceIdEnv: 'GLIDER_PRESENCE__ID', ports: [] },
  muc: {
    app: 'muc',
    summary: 'multi-user chat (XEP-0045)',
    // Off until enabled, like muc.enabled: apps/muc is still growing (its README's State).
    optIn: true,
    instanceIdEnv: 'GLIDER_MUC__ID',
    ports: [],
  },
  mediaRelay: {
    app: 'media-relay',
    summary: 'STUN/TURN, the SOCKS5 file-transfer proxy, HTTP upload',
    // Clients must reach its ports under a public name the certificate covers (docs/media.md).
    optIn: true,
    instanceIdEnv: 'GLIDER_MEDIA__ID',
    // XEP-0065: a stream's second connection reaching another replica is forwarded to the replica holding the first (docs/decisions.md).
    podIpEnv: ['GLIDER_MEDIA__SOCKS5__PEER_HOST'],
    ports: [
      // XEP-0363: PUT and GET of uploaded files over HTTPS with the cluster certificate (docs/media.md).
      { name: 'https-upload', port: 5281, configKey: 'media.upload.port', description: 'XEP-0363 HTTP file upload and download (HTTPS)', appProtocol: 'https' },
      // XEP-0065 SOCKS5 Bytestreams proxy: clients connect to media.socks5.publicHost/publicPort (docs/media.md).
      { name: 'socks5', port: 7777, configKey: 'media.socks5.port', description: 'XEP-0065 SOCKS5 file-transfer proxy (TCP)' },
      // STUN/TURN listeners; the relay range is not a Service port (docs/media.md).
      ...TURN_PORTS,
    ],
  },
} as const satisfies Record<string, ComponentDeclaration>;

export type ComponentName = keyof typeof COMPONENTS;
export const componentNames = Object.keys(COMPONENTS) as ComponentName[];

/** The declaration of `c`, widened (so callers need not narrow on which component it is). */
export const declaration = (c: ComponentName): ComponentDeclaration => COMPONENTS[c];

export const isBuilt = (c: ComponentName): boolean => declaration(c).app !== undefined;

/** Why `c` cannot be enabled, or undefined when it can: names the field, the missing app and the fix. */
export function notBuiltMessage(c: ComponentName): string | undefined {
  if (isBuilt(c)) return undefined;
  const slug = c.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
  return `components.${c}: Glider has no ${slug} app yet (${declaration(c).summary}: apps/${slug} is not built), so it cannot be enabled; set components.${c}.enabled to false`;
}

/** The ports `c` serves (and offers) with these WebSocket and federation settings. */
export function servedPorts(c: ComponentName, on: { webSocket: boolean; federation: boolean }): PortDeclaration[] {
  return declaration(c).ports.filter((p) => (on.webSocket || !p.webSocket) && (on.federation || !p.federation));
}

/** The ports `c` serves to callers inside the cluster (its `internal` Service). */
export const internalPorts = (c: ComponentName): readonly PortDeclaration[] => declaration(c).internal?.ports ?? [];

/** Health probes and /metrics on every component. Never in a Service. */
export const HTTP_PORT = 9090;
/** The admin API (the router's internal `admin` port). */
export const ADMIN_PORT = 5582;
