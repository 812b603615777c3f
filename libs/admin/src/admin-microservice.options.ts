import type { GliderConfig } from '#libs/config';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { ADMIN_LOADER_OPTIONS, ADMIN_PACKAGE, adminProtoPath } from './admin-proto.js';

/**
 * The admin gRPC endpoint: `app.connectMicroservice(adminMicroserviceOptions(config))`. Plaintext and
 * unauthenticated, so it listens on `admin.host` (loopback by default); expose it only to operators.
 */
export function adminMicroserviceOptions(config: GliderConfig): MicroserviceOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: ADMIN_PACKAGE,
      protoPath: adminProtoPath(),
      url: `${config.admin.host}:${config.admin.grpcPort}`,
      loader: { ...ADMIN_LOADER_OPTIONS },
    },
  };
}
