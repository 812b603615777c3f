import { makeScramCredentials } from '#libs/auth';
import { CONFIG, type GliderConfig } from '#libs/config';
import { STORAGE, StorageConflictError, StorageUnavailableError, deleteAccountAndData, type Storage } from '#libs/storage';
import { BUS, type Bus } from '#libs/bus';
import { SESSION_REGISTRY, closeSessionsOf, type SessionRegistry } from '#libs/sessions';
import { LOGGER, type Logger } from '#libs/telemetry';
import { status } from '@grpc/grpc-js';
import { Controller, Inject, Optional, UseGuards } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { accountName, decodePageToken, encodePageToken, pageSize, password, servedDomain } from './admin-input.js';
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
  ) {}

  @GrpcMethod('Admin', 'AddUser')
  async addUser(req: PasswordRequest): Promise<{ jid: string }> {
    const name = accountName(req.jid, this.config.domains);
    const pw = password(req.password);
    return this.guard(async () => {
      const scram = await makeScramCredentials(pw);
      try {
        await this.storage.accounts.create({ username: name.username, domain: name.domain, scram, createdAt: new Date(), disabled: false });
      } catch (err) {
        if (err instanceof StorageConflictError) throw new RpcException({ code: status.ALREADY_EXISTS, message: `user ${name.bare} already exists` });
        throw err;
      }
      this.logger.info({ jid: name.bare }, 'admin: account created');
      return { jid: name.bare };
    });
  }

  @GrpcMethod('Admin', 'DeleteUser')
  async deleteUser(req: JidRequest): Promise<{ jid: string }> {
    const name = accountName(req.jid, this.config.domains);
    return this.guard(async () => {
      if (!(await deleteAccountAndData(this.storage, name.username, name.domain))) throw notFound(name.bare);
      const closed = await this.closeSessions(name.bare, 'not-authorized', 'account deleted');
      this.logger.info({ jid: name.bare, closed }, 'admin: account deleted');
      return { jid: name.bare };
    });
  }

  @GrpcMethod('Admin', 'ListUsers')
  async listUsers(req: ListUsersRequest) {
    const domain = servedDomain(req.domain, this.config.domains);
    const limit = pageSize(req.pageSize);
    const after = decodePageToken(req.pageToken);
    return this.guard(async () => {
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
    const name = accountName(req.jid, this.config.domains);
    const pw = password(req.password);
    return this.guard(async () => {
      const scram = await makeScramCredentials(pw);
      if (!(await this.storage.accounts.setCredentials(name.username, name.domain, scram))) throw notFound(name.bare);
      // like Prosody: sessions authenticated with the old password end (RFC 6120 §4.9.3.16 reset)
      const closed = await this.closeSessions(name.bare, 'reset', 'password changed');
      this.logger.info({ jid: name.bare, closed }, 'admin: password changed');
      return { jid: name.bare };
    });
  }

  @GrpcMethod('Admin', 'Stats')
  async stats() {
    return this.guard(async () => {
      const storageProblem = (await this.storage.health()) ?? '';
      const domains = storageProblem
        ? this.config.domains.map((domain) => ({ domain, users: 0 }))
        : await Promise.all(this.config.domains.map(async (domain) => ({ domain, users: await this.storage.accounts.count(domain) })));
      return { domains, storageProblem, version: gliderVersion() };
    });
  }

  @GrpcMethod('Admin', 'ListSessions')
  async listSessions(req: JidRequest) {
    const name = accountName(req.jid, this.config.domains);
    const registry = this.sessions;
    if (!registry) throw new RpcException({ code: status.UNAVAILABLE, message: 'this process has no session registry' });
    return this.guard(async () => {
      const sessions = await registry.ofUser(name.bare);
      return {
        sessions: sessions
          .map((s) => ({ jid: s.jid, edgeId: s.edgeId, priority: s.priority, available: s.available, boundAtMs: s.boundAtMs }))
          .sort((a, b) => a.jid.localeCompare(b.jid)),
      };
    });
  }

  /** Asks each session's edge to close its stream with a stream error; returns how many were asked. */
  private async closeSessions(bare: string, condition: string, text: string): Promise<number> {
    if (!this.sessions || !this.bus) return 0;
    return closeSessionsOf(this.bus, this.sessions, bare, condition, text);
  }

  /** Storage errors as gRPC statuses; anything unexpected is logged and becomes INTERNAL. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RpcException) throw err;
      if (err instanceof StorageUnavailableError) {
        throw new RpcException({ code: status.UNAVAILABLE, message: `storage unavailable: ${err.message}` });
      }
      this.logger.error({ err }, 'admin: request failed');
      throw new RpcException({ code: status.INTERNAL, message: `internal error: ${(err as Error).message}` });
    }
  }
}

function notFound(bare: string): RpcException {
  return new RpcException({ code: status.NOT_FOUND, message: `user ${bare} does not exist` });
}
