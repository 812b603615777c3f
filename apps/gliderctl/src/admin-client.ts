import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, Metadata, status, type ChannelCredentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

// Kept equal to libs/admin's ADMIN_LOADER_OPTIONS; not imported, so the CLI does not load Nest.
const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true } as const;
const PROTO_RELATIVE = join('proto', 'glider', 'admin', 'v1', 'admin.proto');

export interface User {
  jid: string;
  createdAtMs: number;
  disabled: boolean;
}

export interface Session {
  jid: string;
  edgeId: string;
  priority: number;
  available: boolean;
  boundAtMs: number;
}

export interface AdminApi {
  AddUser(req: { jid: string; password: string }): Promise<{ jid: string }>;
  DeleteUser(req: { jid: string }): Promise<{ jid: string }>;
  ListUsers(req: { domain: string; pageSize?: number; pageToken?: string }): Promise<{ users: User[]; nextPageToken: string; total: number }>;
  SetPassword(req: { jid: string; password: string }): Promise<{ jid: string }>;
  Stats(req: Record<string, never>): Promise<{ domains: { domain: string; users: number }[]; storageProblem: string; version: string }>;
  ListSessions(req: { jid: string }): Promise<{ sessions: Session[] }>;
  DisableUser(req: { jid: string }): Promise<{ jid: string }>;
  EnableUser(req: { jid: string }): Promise<{ jid: string }>;
  ListOnline(req: { domain: string }): Promise<{ users: { jid: string; resources: string[] }[] }>;
  Announce(req: { domain: string; subject: string; body: string }): Promise<{ delivered: number; failed: number }>;
  ListFastTokens(req: { jid: string }): Promise<{ clients: { client: string; mechanism: string; expiresAtMs: number; lastActiveMs: number }[] }>;
  RevokeFastTokens(req: { jid: string; client: string }): Promise<{ jid: string; revoked: number }>;
  RefreshSharedRoster(req: { domain: string }): Promise<{
    domains: { domain: string; groups: number; members: number; changes: number; truncated: boolean; skipped: number }[];
  }>;
  CreateInvite(req: {
    target: string;
    group: string;
    uses: number;
    expires: string;
  }): Promise<{ invite: InviteMessage; token: string; uri: string; link: string }>;
  ListInvites(req: { domain: string }): Promise<{ invites: InviteMessage[] }>;
  RevokeInvite(req: { id: string }): Promise<{ id: string }>;
  /** Resolves once connected, so a password is not asked for when the server is down anyway. */
  ready(): Promise<void>;
  close(): void;
}

/** An error worth one line to the user; `unreachable` ones get the server address added. */
export class AdminCallError extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

function protoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, PROTO_RELATIVE))) return join(dir, PROTO_RELATIVE);
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find ${PROTO_RELATIVE} (is gliderctl running from a Glider checkout or image?)`);
    dir = up;
  }
}

type Unary = (req: unknown, metadata: Metadata, opts: { deadline: Date }, cb: (err: ServiceError | null, res: unknown) => void) => void;

/** How to reach the admin API: its bearer token (docs/security.md) and whether it speaks TLS. */
export interface AdminConnection {
  token?: string;
  /** Where the token was looked for (named in the error when the server wants one). */
  tokenPath?: string;
  tls?: boolean;
  /** PEM CA to verify the server with (TLS); default: the system's CAs. */
  ca?: Buffer;
  /** The name the server's certificate must cover (TLS); default: the host dialled. */
  serverName?: string;
}

/** A promise-returning client of glider.admin.v1.Admin; every call has `timeoutMs` to complete. */
export function connectAdmin(server: string, timeoutMs: number, conn: AdminConnection = {}): AdminApi {
  const pkg = loadPackageDefinition(loadSync(protoPath(), { ...LOADER_OPTIONS })) as unknown as {
    glider: { admin: { v1: { Admin: new (address: string, creds: ChannelCredentials, options: Record<string, string>) => Client } } };
  };
  const named: Record<string, string> =
    conn.tls && conn.serverName ? { 'grpc.ssl_target_name_override': conn.serverName, 'grpc.default_authority': conn.serverName } : {};
  const client = new pkg.glider.admin.v1.Admin(server, conn.tls ? credentials.createSsl(conn.ca) : credentials.createInsecure(), named);
  const metadata = new Metadata();
  if (conn.token) metadata.set('authorization', `Bearer ${conn.token}`);
  const call =
    (method: string) =>
    (req: unknown): Promise<never> =>
      new Promise((resolve, reject) => {
        const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
        fn(req, metadata, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) =>
          err ? reject(toCallError(err, timeoutMs, conn)) : resolve(res as never),
        );
      });
  return {
    AddUser: call('AddUser'),
    DeleteUser: call('DeleteUser'),
    ListUsers: call('ListUsers'),
    SetPassword: call('SetPassword'),
    Stats: call('Stats'),
    ListSessions: call('ListSessions'),
    DisableUser: call('DisableUser'),
    EnableUser: call('EnableUser'),
    ListOnline: call('ListOnline'),
    Announce: call('Announce'),
    ListFastTokens: call('ListFastTokens'),
    RevokeFastTokens: call('RevokeFastTokens'),
    RefreshSharedRoster: call('RefreshSharedRoster'),
    CreateInvite: call('CreateInvite'),
    ListInvites: call('ListInvites'),
    RevokeInvite: call('RevokeInvite'),
    // a cheap call: without waitForReady it fails at once, with the reason, when nothing listens
    ready: async () => {
      await call('Stats')({});
    },
    close: () => client.close(),
  };
}

function toCallError(err: ServiceError, timeoutMs: number, conn: AdminConnection): AdminCallError {
  if (err.code === status.UNAUTHENTICATED) {
    const where = conn.token ? `the token in ${conn.tokenPath ?? '--token-file'} was refused` : `no token found at ${conn.tokenPath ?? '--token-file'}`;
    return new AdminCallError(`not authenticated: ${err.details} (${where}; pass --token-file FILE)`, false);
  }
  if (err.code === status.UNAVAILABLE && !err.details.startsWith('storage unavailable')) {
    const reason = err.details
      .replace(/^No connection established\. Last error: /, '')
      .replace(/^Error: /, '')
      .replace(/\.? Resolution note:.*$/s, '');
    return new AdminCallError(reason, true);
  }
  if (err.code === status.DEADLINE_EXCEEDED) return new AdminCallError(`no answer within ${timeoutMs} ms`, true);
  return new AdminCallError(err.details || err.message, false);
}

export interface InviteMessage {
  id: string;
  domain: string;
  inviter: string;
  group: string;
  usesLeft: number;
  maxUses: number;
  createdAtMs: number;
  expiresAtMs: number;
}
