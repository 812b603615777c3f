import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { parseDuration } from '../../tls/duration.js';
import { planOperatorTls, serverDnsNames } from '../../tls/operator-issuer.js';
import { certInfo } from '../../tls/pki.js';
import { apply, decode, encode } from './apply.js';
import type { Problem } from './conditions.js';
import type { ControllerContext } from './context.js';
import { recordEvent } from './events.js';
import { meta, names } from './names.js';
import type { CertificateObservation } from './status.js';

export interface TlsResult {
  cert: CertificateObservation;
  problems: Problem[];
  requeueAfterMs?: number;
}

type SecretLike = { data?: Record<string, string> };
const sameData = (a: Record<string, string> | undefined, b: Record<string, string>): boolean =>
  !!a && Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

function tlsSecret(x: XmppCluster, name: string, data: Record<string, string>, type = 'kubernetes.io/tls') {
  return { apiVersion: 'v1', kind: 'Secret', type, metadata: meta(x, name), data: encode(data) };
}

/** Ensures the server certificate from the cluster's TLS source and says when to look again. */
export async function ensureTls(ctx: ControllerContext, x: XmppCluster): Promise<TlsResult> {
  const ns = x.metadata.namespace!;
  const secretName = names.tlsSecret(x);
  const existing = decode((ctx.caches.secrets.get(secretName, ns) as SecretLike | undefined)?.data);
  switch (x.spec.tls.source) {
    case 'operator': {
      const caName = names.caSecret(x);
      const caData = decode((ctx.caches.secrets.get(caName, ns) as SecretLike | undefined)?.data);
      const plan = await planOperatorTls(x, caData, existing, ctx.now());
      if (!sameData(caData, plan.caData)) await apply(ctx, tlsSecret(x, caName, plan.caData, 'Opaque'));
      if (!sameData(existing, plan.serverData)) await apply(ctx, tlsSecret(x, secretName, plan.serverData));
      if (plan.rotated.ca || plan.rotated.server) {
        ctx.log.info({ cluster: `${ns}/${x.metadata.name}`, ...plan.rotated, notAfter: plan.notAfter }, 'certificate issued');
        const what = plan.rotated.ca ? `new cluster CA (valid until ${plan.caNotAfter.toISOString()}) and server certificate` : 'server certificate';
        await recordEvent(
          ctx,
          x,
          'Normal',
          plan.rotated.ca ? 'CARotated' : 'CertificateIssued',
          `issued ${what} ${plan.serialNumber} into Secret ${secretName}, valid until ${plan.notAfter.toISOString()}`,
        );
      }
      return {
        cert: { secretName, notAfter: plan.notAfter, serialNumber: plan.serialNumber, caNotAfter: plan.caNotAfter },
        problems: [],
        requeueAfterMs: plan.requeueAfterMs,
      };
    }
    case 'certManager': {
      const tls = x.spec.tls;
      const certificate = {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: meta(x, names.certificate(x)),
        spec: {
          secretName,
          dnsNames: serverDnsNames(x),
          duration: tls.duration,
          renewBefore: tls.renewBefore,
          issuerRef: tls.issuerRef,
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
          usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
        },
      };
      try {
        await apply(ctx, certificate);
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== 404) throw err;
        return {
          cert: { secretName },
          problems: [
            {
              reason: 'CertManagerNotInstalled',
              message: 'tls.source is certManager but the cert-manager.io/v1 Certificate API is not served',
              blocking: true,
            },
          ],
        };
      }
      return fromSecret(secretName, existing, 'CertificatePending', `waiting for cert-manager to issue Secret ${ns}/${secretName}`, false);
    }
    case 'secret':
      return fromSecret(
        secretName,
        existing,
        'SecretNotFound',
        `tls.secretName: Secret ${ns}/${secretName} not found or has no tls.crt`,
        true,
        parseDuration(x.spec.tls.renewBefore),
        ctx.now(),
      );
  }
}

function fromSecret(
  secretName: string,
  data: Record<string, string> | undefined,
  reason: string,
  message: string,
  blocking: boolean,
  renewBefore = 0,
  now = new Date(),
): TlsResult {
  const info = certInfo(data?.['tls.crt']);
  if (!info) return { cert: { secretName }, problems: [{ reason, message, blocking }] };
  const problems: Problem[] = [];
  if (renewBefore && info.notAfter.getTime() - renewBefore <= now.getTime()) {
    problems.push({
      reason: 'CertificateExpiring',
      message: `the certificate in Secret ${secretName} expires at ${info.notAfter.toISOString()}; replace it`,
      blocking: false,
    });
  }
  return { cert: { secretName, notAfter: info.notAfter, serialNumber: info.serialNumber }, problems };
}
