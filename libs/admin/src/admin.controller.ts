import { CONFIG, type GliderConfig } from '#libs/config';
import { STORAGE, StorageUnavailableError, type Invite, type Storage } from '#libs/storage';
import { BUS, type Bus } from '#libs/bus';
import { SESSION_REGISTRY, type SessionRegistry } from '#libs/sessions';
import { LOGGER, type Logger } from '#libs/telemetry';
import { status } from '@grpc/grpc-js';
import { Controller, Inject, Optional, UseGuards } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { AdminError, type AdminErrorKind } from './admin-error.js';
import { accountName, decodePageToken, encodePageToken, pageSize, servedDomain } from './admin-input.js';
import { AdminOperations } from './admin-operations.js';
import { AdminAuthGuard } from './admin-auth.guard.js';
import { gliderVersion } from './admin-proto.js';

interface JidRequest {
  jid?: string;
}
interface PasswordRequest extends JidRequest {
  password?: string;
}
interface ListUsersRequest {
  domain?: string;
  pageSize?: number;
  pageToken?: string;
}

/** glider.admin.v1.Admin: account management for gliderctl and operators; every call needs the token. */
@Controller()
@UseGuards(AdminAuthGuard)
export class AdminController {
  constructor(
    @Inject(CONFIG) private readonly config: GliderConfig,
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(SESSION_REGISTRY) private readonly sessions?: SessionRegistry,
    @Optional() @Inject(BUS) private readonly bus?: Bus,
  ) {
    this.ops = new AdminOperations({ config, storage, logger, sessions, bus });
  }

  private readonly ops: AdminOperations;

  @GrpcMethod('Admin', 'AddUser')
  async addUser(req: PasswordRequest): Promise<{ jid: string }> {
    return this.guard(async () => ({ jid: (await this.ops.addUser(req.jid, req.password)).bare }));
  }

  @GrpcMethod('Admin', 'DeleteUser')
  async deleteUser(req: JidRequest): Promise<{ jid: string }> {
    return this.guard(async () => ({ jid: (await this.ops.deleteUser(req.jid)).bare }));
  }

  @GrpcMethod('Admin', 'DisableUser')
  async disableUser(req: JidRequest): Promise<{ jid: string }> {
    return this.guard(async () => ({ jid: (await this.ops.setDisabled(req.jid, true)).bare }));
  }

  @GrpcMethod('Admin', 'EnableUser')
  async enableUser(req: JidRequest): Promise<{ jid: string }> {
    return this.guard(async () => ({ jid: (await this.ops.setDisabled(req.jid, false)).bare }));
  }

  @GrpcMethod('Admin', 'ListFastTokens')
  async listFastTokens(req: JidRequest) {
    return this.guard(async () => ({ clients: await this.ops.fastTokens(req.jid) }));
  }

  @GrpcMethod('Admin', 'RevokeFastTokens')
  async revokeFastTokens(req: JidRequest & { client?: string }) {
    return this.guard(async () => {
      const { name, revoked } = await this.ops.revokeFastTokens(req.jid, req.client || undefined);
      return { jid: name.bare, revoked };
    });
  }

  @GrpcMethod('Admin', 'RefreshSharedRoster')
  async refreshSharedRoster(req: { domain?: string }) {
    return this.guard(async () => ({ domains: await this.ops.refreshSharedRoster(req.domain) }));
  }

  @GrpcMethod('Admin', 'CreateInvite')
  async createInvite(req: { target?: string; group?: string; uses?: number; expires?: string }) {
    return this.guard(async () => {
      const created = await this.ops.invites.create(req.target, {
        ...(req.group ? { group: req.group } : {}),
        ...(req.uses ? { uses: req.uses } : {}),
        ...(req.expires ? { expires: req.expires } : {}),
      });
      return { invite: inviteMessage(created.invite), token: created.token, uri: created.uri, link: created.link };
    });
  }

  @GrpcMethod('Admin', 'ListInvites')
  async listInvites(req: { domain?: string }) {
    return this.guard(async () => ({ invites: (await this.ops.invites.list(req.domain)).map(inviteMessage) }));
  }

  @GrpcMethod('Admin', 'RevokeInvite')
  async revokeInvite(req: { id?: string }) {
    return this.guard(async () => ({ id: await this.ops.invites.revoke(req.id) }));
  }

  @GrpcMethod('Admin', 'ListOnline')
  async listOnline(req: { domain?: string }) {
    return this.guard(async () => ({ users: this.ops.onlineUsers(req.domain) }));
  }

  @GrpcMethod('Admin', 'Announce')
  async announce(req: { domain?: string; subject?: string; body?: string }) {
    return this.guard(() => this.ops.announce(req.domain, { body: req.body ?? '', ...(req.subject ? { subject: req.subject } : {}) }));
  }

  @GrpcMethod('Admin', 'ListUsers')
  async listUsers(req: ListUsersRequest) {
    return this.guard(async () => {
      const domain = servedDomain(req.domain, this.config.domains);
      const limit = pageSize(req.pageSize);
      const after = decodePageToken(req.pageToken);
      const [accounts, total] = await Promise.all([
        this.storage.accounts.list(domain, { limit, ...(after !== undefined ? { after } : {}) }),
        this.storage.accounts.count(domain),
      ]);
      const last = accounts.at(-1);
      return {
        users: accounts.map((a) => ({ jid: `${a.username}@${a.domain}`, createdAtMs: a.createdAt.getTime(), disabled: a.disabled })),
        nextPageToken: accounts.length === limit && last ? encodePageToken(last.username) : '',
        total,
      };
    });
  }

  @GrpcMethod('Admin', 'SetPassword')
  async setPassword(req: PasswordRequest): Promise<{ jid: string }> {
    return this.guard(async () => ({ jid: (await this.ops.setPassword(req.jid, req.password)).bare }));
  }

  @GrpcMethod('Admin', 'Stats')
  async stats() {
    return this.guard(async () => ({ ...(await this.ops.stats()), version: gliderVersion() }));
  }

  @GrpcMethod('Admin', 'ListSessions')
  async listSessions(req: JidRequest) {
    const registry = this.sessions;
    if (!registry) throw new RpcException({ code: status.UNAVAILABLE, message: 'this process has no session registry' });
    return this.guard(async () => {
      const name = accountName(req.jid, this.config.domains);
      const sessions = await registry.ofUser(name.bare);
      return {
        sessions: sessions
          .map((s) => ({ jid: s.jid, edgeId: s.edgeId, priority: s.priority, available: s.available, boundAtMs: s.boundAtMs }))
          .sort((a, b) => a.jid.localeCompare(b.jid)),
      };
    });
  }

  /** Storage errors as gRPC statuses; anything unexpected is logged and becomes INTERNAL. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RpcException) throw err;
      if (err instanceof AdminError) throw new RpcException({ code: GRPC_STATUS[err.kind], message: err.message });
      if (err instanceof StorageUnavailableError) {
        throw new RpcException({ code: status.UNAVAILABLE, message: `storage unavailable: ${err.message}` });
      }
      this.logger.error({ err }, 'admin: request failed');
      throw new RpcException({ code: status.INTERNAL, message: `internal error: ${(err as Error).message}` });
    }
  }
}

const GRPC_STATUS: Record<AdminErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  exists: status.ALREADY_EXISTS,
  'not-found': status.NOT_FOUND,
  unavailable: status.UNAVAILABLE,
};

function inviteMessage(i: Invite) {
  return {
    id: i.id,
    domain: i.domain,
    inviter: i.inviter ?? '',
    group: i.group ?? '',
    usesLeft: i.usesLeft,
    maxUses: i.maxUses,
    createdAtMs: i.createdAt.getTime(),
    expiresAtMs: i.expiresAt.getTime(),
  };
}
