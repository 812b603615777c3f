import { z } from 'zod';
import { archiveSchema } from './archive.schema.js';
import { directorySchema } from './directory.schema.js';
import { ssoSchema } from './sso.schema.js';
import { invitesSchema } from './invites.schema.js';
import { s2sSchema } from './s2s.schema.js';
import { mucSchema } from './muc.schema.js';
import { socks5Schema } from './socks5.schema.js';
import { turnSchema } from './turn.schema.js';
import { standaloneSchema } from './standalone.schema.js';

/**
 * Every Glider setting, with its default. The same keys are the Helm values and the XmppCluster
 * spec's `config` block; env overrides are GLIDER_<SECTION>__<KEY> (see load-config.ts).
 */
const port = z.number().int().min(0).max(65535);
const ms = z.number().int().min(0);
const bytes = z.number().int().min(1);
const domainName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/, 'must be a lower-case DNS name, e.g. example.com');

export const limitsSchema = z.strictObject({
  /** Largest stanza (serialised bytes) accepted from a stranger or a user. RFC 6120 §13.12. */
  maxStanzaBytes: bytes.default(256 * 1024),
  /** Before authentication, far less is needed. */
  maxStanzaBytesPreAuth: bytes.default(16 * 1024),
  maxDepth: z.number().int().min(2).max(1000).default(32),
  maxAttributes: z.number().int().min(1).max(1000).default(64),
  maxAttributeBytes: bytes.default(16 * 1024),
  maxNameBytes: bytes.default(256),
  /** Sustained bytes per second read from one connection; excess pauses reading (RFC 6120 §13.12). */
  readBytesPerSecond: bytes.default(1024 * 1024),
  /** Burst allowance of the read rate limit. */
  readBurstBytes: bytes.default(4 * 1024 * 1024),
  maxConnectionsPerIp: z.number().int().min(1).default(200),
  /** Stanzas read from one connection and not yet taken by the router; past this, reading pauses. */
  maxQueuedStanzas: z.number().int().min(1).default(64),
  /**
   * Bytes queued for a client that does not read; past this the stream ends with
   * <policy-violation/> rather than growing server memory without bound.
   */
  maxWriteBufferBytes: bytes.default(8 * 1024 * 1024),
  /** Time a new connection has to finish TLS and authentication. */
  authTimeoutMs: ms.default(30_000),
});

/** Failed logins beyond the back-off delays (edge.authFailureDelayMs/MaxMs); docs/security.md. */
export const authFailuresSchema = z.strictObject({
  /** An address's or account's failures are forgotten this long after its last one. */
  forgetAfterMs: ms.default(60_000),
  /** Lock an account after this many failures in a row (0 = never: anyone could lock anyone out). */
  lockoutAfter: z.number().int().min(0).default(0),
  /** How long a locked account is refused (counted from its last failure). */
  lockoutMs: ms.default(15 * 60_000),
  /** Addresses and accounts remembered at most per edge (the oldest go first). */
  maxTracked: z.number().int().min(100).default(100_000),
  /** At most this many failed-login log lines per interval; then one line with the count left out. */
  logLinesPerInterval: z.number().int().min(0).default(20),
  logIntervalMs: ms.min(1).default(60_000),
});

/** XEP-0352 client state indication: what an inactive client's stream holds back (apps/edge xep-0352-csi). */
export const csiSchema = z.strictObject({
  /** Offer <csi/> and hold unimportant stanzas while the client says it is inactive. */
  enabled: z.boolean().default(true),
  /** Held stanzas per stream; one more flushes them all (in order) and holding starts again. */
  maxHeldStanzas: z.number().int().min(1).default(256),
  /** Held bytes per stream (serialised); past it everything held is flushed. */
  maxHeldBytes: bytes.default(256 * 1024),
});

/** XEP-0198 stream management (apps/edge/src/features/xep-0198-sm/README.md). */
export const smSchema = z.strictObject({
  /** Offer <sm xmlns='urn:xmpp:sm:3'/> in the stream features (the feature answers <enable/> either way). On by default: phones need it (issue 10). */
  enabled: z.boolean().default(true),
  /** How long a detached session waits to be resumed (XEP-0198 §5 'max'); then it ends as if logged out. */
  resumeTimeoutSec: z.number().int().min(1).max(86_400).default(300),
  /** Stanzas sent to a client and not yet acknowledged; past it the client is cut with <policy-violation/>. */
  maxUnacked: z.number().int().min(1).default(1000),
  /** Bytes of those stanzas; past it the same. */
  maxUnackedBytes: bytes.default(4 * 1024 * 1024),
  /** The server asks for an ack (<r/>) once this many stanzas are unacknowledged (and again only after an <a/>). */
  requestAckEvery: z.number().int().min(1).default(10),
  /**
   * Acknowledged stanzas whose stored copies are removed together (one purge): fewer store writes
   * per stanza; the record's acked count keeps them from being replayed or routed again meanwhile.
   */
  trimBatch: z.number().int().min(1).default(32),
  /** <r/> a client may send per second (burst the same); past it the stream ends with <policy-violation/>. */
  maxRequestsPerSecond: z.number().int().min(1).default(100),
  /** How long a resume waits for the edge that held the session to let go of it (fencing); then it goes on. */
  takeoverTimeoutMs: ms.min(1).default(3_000),
  /** How often routers look for detached sessions past their timeout (any router may end one). */
  reapIntervalMs: ms.min(10).default(5_000),
});

/** XEP-0484 FAST tokens (apps/edge/src/features/xep-0484-fast/README.md). */
export const fastSchema = z.strictObject({
  /** Offer FAST inside SASL2 (HT-SHA-256-NONE, and -EXPR/-ENDP where the connection can bind). */
  enabled: z.boolean().default(true),
  /** How long a token is valid from when it is issued (XEP-0484 §rules-servers: the deployment's inactive-device policy). */
  tokenTtlSec: z
    .number()
    .int()
    .min(60)
    .default(14 * 86_400),
  /** A login with a token older than this gets a new one in <success/> (rotation, XEP-0484 §token-rotation). */
  rotateAfterSec: z.number().int().min(0).default(86_400),
  /** Clients (user-agent ids) holding tokens per account; one more evicts the least recently used. */
  maxClientsPerAccount: z.number().int().min(1).default(20),
});

/** XEP-0388 SASL2 with XEP-0386 Bind2 (apps/edge/src/features/xep-0388-sasl2/README.md). */
export const sasl2Schema = z.strictObject({
  /**
   * Offer <authentication xmlns='urn:xmpp:sasl:2'/> beside RFC 6120 SASL (on: Conversations and Monal
   * log in with SASL2, Bind2 and FAST only when offered). Clients that do not know SASL2 use RFC 6120.
   */
  enabled: z.boolean().default(true),
  /** Longest Bind2 <tag/> kept in the resource (characters); a longer one is cut. */
  maxTagLength: z.number().int().min(1).max(256).default(64),
  fast: fastSchema.default(fastSchema.parse({})),
});

export const edgeSchema = z.strictObject({
  /** Instance id on the bus; defaults to the host name (the pod name on Kubernetes). */
  id: z.string().min(1).optional(),
  host: z.string().default('0.0.0.0'),
  /**
   * Listen with SO_REUSEPORT (Linux: the kernel spreads new connections over every socket bound
   * to the port). Set by `standalone` for its edge worker threads; off otherwise.
   */
  reusePort: z.boolean().default(false),
  /** RFC 6120 c2s with STARTTLS (required). */
  c2sPort: port.default(5222),
  /** XEP-0368 direct TLS. */
  directTlsPort: port.default(5223),
  /** RFC 7395 over plain HTTP, for a TLS-terminating proxy in front; off unless enabled. */
  wsPort: port.default(5280),
  wsEnabled: z.boolean().default(false),
  /** RFC 7395 over TLS. */
  wssPort: port.default(5443),
  wsPath: z.string().default('/xmpp-websocket'),
  /** Trust X-Forwarded-For on the plain ws port (only behind your own proxy). */
  wsTrustProxy: z.boolean().default(false),
  limits: limitsSchema.default(limitsSchema.parse({})),
  /** Whitespace keepalive interval; 0 disables. */
  keepaliveIntervalMs: ms.default(60_000),
  /** Close a stream with no traffic for this long. */
  idleTimeoutMs: ms.default(600_000),
  /** What binding an already-bound full JID does (RFC 6120 §7.7.2.2). */
  resourceConflict: z.enum(['replace', 'refuse']).default('replace'),
  /**
   * Sessions (bound resources) one account may hold; the next bind gets <resource-constraint/>
   * (RFC 6120 §7.6.2.1). Bounds presence fan-out too (docs/security.md). ejabberd's example config: 10.
   */
  maxSessionsPerAccount: z.number().int().min(1).default(10),
  /** Failed-login back-off per source address and per account: base doubles per failure up to max. */
  authFailureDelayMs: ms.default(500),
  authFailureDelayMaxMs: ms.default(16_000),
  authFailures: authFailuresSchema.default(authFailuresSchema.parse({})),
  /** SASL mechanisms offered, in preference order. PLAIN only ever inside TLS. */
  saslMechanisms: z
    .array(z.enum(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']))
    .min(1)
    .default(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']),
  /** How long a graceful drain waits for clients to leave before closing the rest. */
  drainTimeoutMs: ms.default(30_000),
  /** How long the edge waits for the router to take a stanza before bouncing it. */
  routeTimeoutMs: ms.default(5_000),
  /**
   * A session's stanzas go to its router in order, one request at a time, without waiting for each
   * one's Ack before reading the next: those that come while a request is out go together in the
   * next one, at most this many (apps/edge/src/routing/outbound.ts, RouteLane).
   */
  routeBatchMax: z.number().int().min(1).max(1000).default(16),
  /**
   * How long a stream we closed (our closing tag or a stream error sent) waits for the peer's closing
   * tag, and for the peer to read what is still queued, before the connection is dropped.
   */
  closeGraceMs: ms.default(5_000),
  /**
   * Delivery keys (StanzaEnvelope.dedupe_key) remembered per session: a delivery whose key one of
   * them is, is acknowledged and not written again (a muc room's resend after a failover).
   */
  deliveryDedupeWindow: z.number().int().min(0).default(256),
  /**
   * A router's delivery is acknowledged once its bytes left the process (the write callback), so an
   * edge that dies before that leaves it the router's to route again (docs/reliability.md). A
   * connection that saw no write callback for this long is stalled (the client does not read):
   * what is delivered to it then is acknowledged at once and is the edge's, as what waits behind
   * backpressure is, so a sender is not held up by a receiver that does not read.
   */
  writeStallMs: ms.min(1).default(100),
  csi: csiSchema.default(csiSchema.parse({})),
  sm: smSchema.default(smSchema.parse({})),
  sasl2: sasl2Schema.default(sasl2Schema.parse({})),
});

export const tlsSchema = z.strictObject({
  /** PEM files; when absent a self-signed certificate is made in dataDir on first start. */
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  /** Reload the certificate when the files change (Kubernetes Secret rotation). */
  watch: z.boolean().default(true),
  /** OpenSSL cipher string; default: ECDHE with AES-GCM / ChaCha20-Poly1305 only (libs/tls). */
  ciphers: z.string().min(1).optional(),
  /** Staple OCSP responses (RFC 6066 §8) when the certificate names a responder (AIA) and the chain its issuer. */
  ocspStapling: z.boolean().default(true),
  /** A staple is fetched again once it is this old. */
  ocspRefreshMs: ms.min(1000).default(3_600_000),
  /** How long a handshake waits for the OCSP responder before going on without a staple. */
  ocspTimeoutMs: ms.default(2_000),
  /** After the responder failed, handshakes go without a (new) staple this long. */
  ocspRetryMs: ms.default(60_000),
});

export const busSchema = z.strictObject({
  kind: z.enum(['inprocess', 'nats']).default('inprocess'),
  url: z.string().default('nats://127.0.0.1:4222'),
  /** File holding NATS credentials (user:password or a token), never inline. */
  credentialsFile: z.string().optional(),
  /** Number of router/presence partitions: fixed for a cluster's life. */
  partitions: z.number().int().min(1).max(4096).default(64),
  requestTimeoutMs: ms.default(5_000),
  /** Heartbeat of edges and routers in the KV store; an edge silent 3× this long is dead. */
  heartbeatMs: ms.min(100).default(2_000),
  /** Routers purge session delete markers older than this from the KV store (0 = never). */
  sessionMarkerPurgeMs: ms.default(600_000),
  /**
   * How long a router waits for an edge to acknowledge a delivery before routing the stanza again
   * (another resource, offline storage or an error; docs/reliability.md). Keep edge.routeTimeoutMs
   * above twice this: the sender's stanza is acknowledged only after its deliveries are.
   */
  deliveryAckTimeoutMs: ms.min(10).default(2_000),
  /**
   * After its NATS connection comes back from an outage (nats-server restarted, network cut), a
   * router sweeps no dead edge for this long: the edges cut off by the same outage reconnect (their
   * reconnect back-off is at most 5 s) and heartbeat again first, so a bus outage ends no session
   * (docs/reliability.md, "Bus outages"). An edge that died meanwhile is swept this much later.
   */
  outageGraceMs: ms.default(10_000),
});

export const mongodbSchema = z.strictObject({
  url: z.string().default('mongodb://127.0.0.1:27017'),
  database: z
    .string()
    .regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'not a valid MongoDB database name')
    .default('glider'),
  poolSize: z.number().int().min(1).max(1000).default(20),
  connectTimeoutMs: ms.default(10_000),
  operationTimeoutMs: ms.default(10_000),
  tls: z.boolean().default(false),
  tlsCaFile: z.string().optional(),
  /** Credentials from a file (username:password on one line), or inline in `url`. */
  credentialsFile: z.string().optional(),
});

export const storageSchema = z.strictObject({
  kind: z.enum(['embedded', 'mongodb']).default('embedded'),
  mongodb: mongodbSchema.default(mongodbSchema.parse({})),
});

export const routerSchema = z.strictObject({
  id: z.string().min(1).optional(),
  offlineMaxPerUser: z.number().int().min(0).default(1000),
  /** Bytes (UTF-8 XML) of one user's offline messages together; past it, messages bounce (XEP-0160). */
  offlineMaxBytesPerUser: bytes.default(16 * 1024 * 1024),
  /** XEP-0050: an ad-hoc command session unanswered this long ends (then <session-expired/>). */
  adhocSessionTimeoutMs: ms.min(1000).default(600_000),
  /** XEP-0050: open ad-hoc command sessions one requester may have at once (resource-constraint past it). */
  adhocMaxSessionsPerUser: z.number().int().min(1).default(10),
  /**
   * Stanzas of one sender to one service subject (a room's partition, presence, s2s) in one
   * request: those the sender routed while its previous one was out (apps/router service lanes).
   */
  forwardBatchMax: z.number().int().min(1).max(1000).default(16),
  /**
   * Deliveries to sessions on one edge that the router made in one turn of its event loop, sent in
   * one request (a DeliveryBatch); 1 sends each in its own (libs/bus Delivery, coalescing).
   */
  deliveryBatchMax: z.number().int().min(1).max(1000).default(32),
});

export const presenceSchema = z.strictObject({
  id: z.string().min(1).optional(),
  maxRosterItems: z.number().int().min(1).default(2000),
});

/** XEP-0363 HTTP File Upload, served by media-relay on upload.<domain> (docs/media.md). */
export const mediaUploadSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Address the HTTPS upload/download listener binds. */
  host: z.string().default('0.0.0.0'),
  /** HTTPS port of PUT and GET (0 = a free port, tests). */
  port: port.default(5281),
  /** Serve plain HTTP instead, only behind a TLS-terminating proxy that sets publicUrl. */
  tls: z.boolean().default(true),
  /** Base URL clients see (behind an ingress); default https://<media.publicHost or the domain>:<port>. */
  publicUrl: z.url().optional(),
  /** Largest file one slot may announce; larger → file-too-large with this size (XEP-0363 §5). */
  maxFileBytes: bytes.default(100 * 1024 * 1024),
  /** Bytes one user may keep stored at once; past it → resource-constraint. */
  quotaBytesPerUser: bytes.default(1024 * 1024 * 1024),
  /** How long a slot's PUT URL is valid after it was handed out. */
  slotTtlMs: ms.min(1000).default(300_000),
  /** Files are deleted this long after upload (0 = kept until deleted by an admin). */
  fileTtlMs: ms.default(30 * 24 * 3_600_000),
  /** How often expired files are swept. */
  sweepIntervalMs: ms.min(1000).default(3_600_000),
  /** Longer file names are cut (UTF-8 bytes), keeping whole characters. */
  maxFilenameBytes: z.number().int().min(16).max(1024).default(255),
  /** A PUT that sends no bytes for this long is aborted (slowloris). */
  idleTimeoutMs: ms.min(100).default(30_000),
  /** Origins allowed by CORS (web clients); '*' = any. */
  corsOrigins: z.array(z.string().min(1)).default(['*']),
});

/** media-relay: file upload, SOCKS5 proxy, STUN/TURN (apps/media-relay, docs/media.md). */
export const mediaSchema = z.strictObject({
  /** Runs the media-relay service (its components are declared and listed in disco only then). */
  enabled: z.boolean().default(false),
  /** Instance id on the bus (default: host name). */
  id: z.string().min(1).optional(),
  /** The name clients reach media-relay under (upload URLs, SOCKS5 and TURN hosts); default: the XMPP domain. */
  publicHost: z.string().min(1).optional(),
  upload: mediaUploadSchema.default(mediaUploadSchema.parse({})),
  socks5: socks5Schema.default(socks5Schema.parse({})),
  /** STUN/TURN relay (RFC 8489/8656): libs/config/src/turn.schema.ts. */
  turn: turnSchema.default(turnSchema.parse({})),
});

export const registrationSchema = z.strictObject({
  /** XEP-0077 in-band registration: off by default (admin-created accounts). */
  enabled: z.boolean().default(false),
});

export const adminSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  grpcPort: port.default(5582),
  /** 'token': every call needs `authorization: Bearer <token>` (docs/security.md); 'none' only for a private test rig. */
  auth: z.enum(['token', 'none']).default('token'),
  /** The token's file (one line); made with 0600 on first start when missing. Default: <dataDir>/admin-token. */
  tokenFile: z.string().min(1).optional(),
  /** Serve the admin API over TLS with tls.certFile/keyFile (needed off loopback, e.g. the pod network). */
  tls: z.boolean().default(false),
  /** CA file gliderctl verifies the admin server's certificate with (admin.tls); default: the system's. */
  caFile: z.string().min(1).optional(),
  /**
   * The name gliderctl checks the admin server's certificate for when it dials the config's own
   * address (admin.tls; e.g. the admin Service's name in a Kubernetes pod); default: the host dialled.
   */
  tlsServerName: z.string().min(1).optional(),
  /**
   * Bare JIDs of the XMPP service administrators (XEP-0133 ad-hoc commands on the server's
   * domain; docs/security.md). Empty: nobody administers over XMPP, only through gliderctl.
   */
  jids: z.array(z.string().regex(/^[^@/\s]+@[^@/\s]+$/, 'a bare JID user@domain')).default([]),
});

/** XEP-0157 contact addresses of one domain: URIs (mailto:, xmpp:, https:) per role. */
const uri = z.string().regex(/^[a-z][a-z0-9+.-]*:\S+$/i, 'a URI such as mailto:abuse@example.com or xmpp:admin@example.com');
export const contactAddressesSchema = z.strictObject({
  abuse: z.array(uri).default([]),
  admin: z.array(uri).default([]),
  feedback: z.array(uri).default([]),
  sales: z.array(uri).default([]),
  security: z.array(uri).default([]),
  status: z.array(uri).default([]),
  support: z.array(uri).default([]),
});

export const httpSchema = z.strictObject({
  /**
   * Loopback by default: the endpoints have no authentication (docs/security.md says what they
   * show). The operator sets 0.0.0.0 in pods so the kubelet's probes and Prometheus reach them.
   */
  host: z.string().default('127.0.0.1'),
  /** /healthz/live, /healthz/ready and /metrics (Prometheus). 0 = a free port (tests). */
  port: port.default(9090),
});

export const telemetrySchema = z.strictObject({
  serviceName: z.string().default('glider'),
  /** OTLP/HTTP endpoint for traces and metrics, e.g. http://otel-collector:4318; none = off. */
  otlpEndpoint: z.url().optional(),
  /**
   * nodejs_eventloop_lag_*_seconds report the event loop's delay over the last window of this
   * length (docs/observability.md); each window starts afresh.
   */
  eventLoopLagWindowMs: z.number().int().min(1000).default(10_000),
  /**
   * How often the event-loop delay is sampled (libs/telemetry EventLoopLag; the gauges report the
   * delay beyond this, not this plus the delay). Every sample wakes an idle process: 20 ms cost an
   * idle cluster ≈ 30 ms of CPU per second in all (docs/performance.md).
   */
  eventLoopLagResolutionMs: z.number().int().min(1).max(1000).default(100),
});

export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const configSchema = z.strictObject({
  domains: z.array(domainName).min(1).default(['localhost']),
  /** Where `standalone` keeps its database and generated certificate. */
  dataDir: z.string().default('./data'),
  edge: edgeSchema.default(edgeSchema.parse({})),
  tls: tlsSchema.default(tlsSchema.parse({})),
  bus: busSchema.default(busSchema.parse({})),
  storage: storageSchema.default(storageSchema.parse({})),
  router: routerSchema.default(routerSchema.parse({})),
  presence: presenceSchema.default(presenceSchema.parse({})),
  registration: registrationSchema.default(registrationSchema.parse({})),
  media: mediaSchema.default(mediaSchema.parse({})),
  /** XEP-0313 message archive: libs/config/src/archive.schema.ts. */
  archive: archiveSchema.default(archiveSchema.parse({})),
  /** Federation (server-to-server): libs/config/src/s2s.schema.ts, docs/federation.md. */
  s2s: s2sSchema.default(s2sSchema.parse({})),
  /** Directory sign-on (LDAP / Active Directory) per domain: libs/config/src/directory.schema.ts, docs/directory.md. */
  directory: directorySchema.default(directorySchema.parse({})),
  /** Single sign-on (OIDC access tokens over SASL OAUTHBEARER) per domain: libs/config/src/sso.schema.ts, docs/directory.md. */
  sso: ssoSchema.default(ssoSchema.parse({})),
  /** Invitations (XEP-0401 / XEP-0445 / XEP-0379): libs/config/src/invites.schema.ts, docs/directory.md. */
  invites: invitesSchema.default(invitesSchema.parse({})),
  /** XEP-0045 group chat: libs/config/src/muc.schema.ts. */
  muc: mucSchema.default(mucSchema.parse({})),
  admin: adminSchema.default(adminSchema.parse({})),
  /** XEP-0157 contact addresses in each domain's disco#info, keyed by domain; none when unset. */
  contactAddresses: z.record(domainName, contactAddressesSchema).default({}),
  http: httpSchema.default(httpSchema.parse({})),
  telemetry: telemetrySchema.default(telemetrySchema.parse({})),
  log: logSchema.default(logSchema.parse({})),
  /** `standalone` on every core (edge worker threads): libs/config/src/standalone.schema.ts. */
  standalone: standaloneSchema.default(standaloneSchema.parse({})),
  /** Per-feature options, keyed by feature name (each feature validates its own). */
  features: z.record(z.string(), z.unknown()).default({}),
});

export type GliderConfig = z.infer<typeof configSchema>;
