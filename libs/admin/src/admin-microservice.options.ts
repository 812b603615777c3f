import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerCredentials } from '@grpc/grpc-js';
import type { GliderConfig } from '#libs/config';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { ADMIN_LOADER_OPTIONS, ADMIN_PACKAGE, adminProtoPath } from './admin-proto.js';
import { AdminTlsCredentials } from './admin-certificate.js';
import { adminTokenPath, ensureAdminToken } from './admin-token.js';

/**
 * The admin gRPC endpoint: `app.connectMicroservice(adminMicroserviceOptions(config))`. Every call
 * needs the bearer token (AdminAuthGuard; the token file is made here on first start); with
 * `admin.tls` it speaks TLS with the server certificate, so it may listen off loopback.
 */
export function adminMicroserviceOptions(config: GliderConfig): MicroserviceOptions {
  if (config.admin.auth === 'token') ensureAdminToken(adminTokenPath(config));
  return {
    transport: Transport.GRPC,
    options: {
      package: ADMIN_PACKAGE,
      protoPath: adminProtoPath(),
      url: `${config.admin.host}:${config.admin.grpcPort}`,
      loader: { ...ADMIN_LOADER_OPTIONS },
      ...(config.admin.tls ? { credentials: adminServerCredentials(config) } : {}),
    },
  };
}

/** tls.certFile/keyFile, else the self-signed pair in dataDir/tls (made by a previous start); re-read on change with tls.watch. */
function adminServerCredentials(config: GliderConfig): ServerCredentials {
  const certFile = config.tls.certFile ?? join(config.dataDir, 'tls', 'self-signed.crt');
  const keyFile = config.tls.keyFile ?? join(config.dataDir, 'tls', 'self-signed.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    throw new Error(`admin.tls needs a certificate: set tls.certFile and tls.keyFile (${certFile} does not exist)`);
  }
  return new AdminTlsCredentials({ certFile, keyFile }, { watch: config.tls.watch, ciphers: config.tls.ciphers, minVersion: config.tls.minVersion });
}
