import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';
import type { GliderConfig } from '#libs/config';
import { serverTlsPolicy, watchCertificate, type CertificateWatch } from '#libs/tls';

type Files = { certFile: string; keyFile: string };

/**
 * TLS server credentials for the admin API: Glider's server TLS policy (libs/tls: AEAD ciphers,
 * server order, no renegotiation, tls.minVersion) and, with tls.watch, a certificate that follows
 * its files. In Kubernetes the operator renews the server certificate in its Secret and the kubelet
 * swaps the mounted files; new admin connections then get the new certificate without a restart,
 * as the edge's do. A pair that does not load (mid-swap, key and certificate not matching) is
 * skipped and the last good one stays until the next change. No client certificate is asked for:
 * admin callers authenticate with the token (admin-token.ts).
 */
export class AdminTlsCredentials extends ServerCredentials {
  private watch: CertificateWatch | undefined;
  private readonly base: SecureContextOptions;

  constructor(
    private readonly files: Files,
    private readonly opts: { watch: boolean; ciphers?: string; minVersion: GliderConfig['tls']['minVersion'] },
    private readonly onError: (err: Error) => void = (err) => process.emitWarning(`admin API certificate: ${err.message}`),
  ) {
    const base: SecureContextOptions = { ...serverTlsPolicy(opts.ciphers), minVersion: opts.minVersion };
    super({ requestCert: false }, { ...base, cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) });
    this.base = base;
  }

  override _addWatcher(watcher: Parameters<ServerCredentials['_addWatcher']>[0]): void {
    super._addWatcher(watcher);
    if (this.opts.watch && !this.watch) this.watch = watchCertificate(this.files, (pair) => this.replace(pair), { onError: this.onError });
  }

  override _removeWatcher(watcher: Parameters<ServerCredentials['_removeWatcher']>[0]): void {
    super._removeWatcher(watcher);
    if (this.getWatcherCount() > 0) return;
    this.watch?.stop();
    this.watch = undefined;
  }

  _equals(other: ServerCredentials): boolean {
    return this === other;
  }

  private replace(pair: { cert: string; key: string }): void {
    const next: SecureContextOptions = { ...this.base, cert: pair.cert, key: pair.key };
    try {
      createSecureContext(next);
    } catch (err) {
      this.onError(new Error(`new certificate in ${this.files.certFile} not loaded, keeping the previous one: ${(err as Error).message}`));
      return;
    }
    this.updateSecureContextOptions(next);
  }
}
