import { status, type Metadata } from '@grpc/grpc-js';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { CONFIG, type GliderConfig } from '#libs/config';
import { LOGGER, type Logger } from '#libs/telemetry';
import { AdminTokenCheck, adminTokenPath } from './admin-token.js';

/**
 * Every admin call carries `authorization: Bearer <token>` (admin-token.ts) unless `admin.auth` is
 * 'none'; otherwise it is refused with UNAUTHENTICATED before the method runs.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly check: AdminTokenCheck | undefined;

  constructor(
    @Inject(CONFIG) config: GliderConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.check = config.admin.auth === 'token' ? new AdminTokenCheck(adminTokenPath(config)) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.check) return true;
    const metadata = context.switchToRpc().getContext<Metadata>();
    const [authorization] = typeof metadata?.get === 'function' ? metadata.get('authorization') : [];
    if (this.check.accepts(authorization)) return true;
    this.logger.warn({ event: 'admin-unauthenticated', method: context.getHandler().name }, 'admin call without a valid token refused');
    throw new RpcException({
      code: status.UNAUTHENTICATED,
      message: authorization === undefined ? 'the admin API needs a token (authorization: Bearer ...; gliderctl reads admin.tokenFile)' : 'invalid admin token',
    });
  }
}
