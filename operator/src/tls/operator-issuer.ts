import { componentNames, declaration } from '../api/v1alpha1/components.js';
import type { XmppCluster } from '../api/v1alpha1/types.js';
import { parseDuration } from './duration.js';
import { certInfo, createCa, issueServerCertificate, signedBy, splitPem, type KeyPair } from './pki.js';

export type SecretData = Record<string, string>;

export interface TlsPlan {
  /** Data of the CA Secret and of the server certificate Secret, as they should be. */
  caData: SecretData;
  serverData: SecretData;
  notAfter: Date;
  serialNumber: string;
  caNotAfter: Date;
  /** When to look again (the next renewal, CA rotation or end of the CA overlap). */
  requeueAfterMs: number;
  rotated: { ca: boolean; server: boolean };
}

/**
 * Every name the server certificate covers: each domain and its service subdomains, the edge
 * Service, and the in-cluster Services (components.ts `internal`: the admin API, which serves TLS
 * with this certificate).
 */
export function serverDnsNames(cluster: XmppCluster): string[] {
  const { name, namespace } = cluster.metadata;
  const names = cluster.spec.domains.flatMap((d) => [d, `conference.${d}`, `upload.${d}`, `proxy.${d}`, `pubsub.${d}`]);
  const services = ['edge', ...componentNames.flatMap((c) => (declaration(c).internal ? [declaration(c).internal!.service] : []))];
  for (const svc of services) names.push(`${name}-${svc}.${namespace}.svc`, `${name}-${svc}.${namespace}.svc.cluster.local`);
  return [...new Set(names)];
}

const DEFAULT_CA = { duration: '87600h', renewBefore: '720h' };

/**
 * The operator's own PKI for one XmppCluster: a CA kept in a Secret, rotated `ca.renewBefore` its
 * expiry with the old CA left in the trust bundle until it expires (the overlap), and a server
 * certificate reissued `renewBefore` its expiry, when the names change or when the CA rotated.
 * Given the same Secrets and time it changes nothing (idempotent).
 */
export async function planOperatorTls(cluster: XmppCluster, caData: SecretData | undefined, serverData: SecretData | undefined, now: Date): Promise<TlsPlan> {
  const tls = cluster.spec.tls;
  const caSpec = tls.ca ?? DEFAULT_CA;
  const caRenewBefore = parseDuration(caSpec.renewBefore);
  const rotated = { ca: false, server: false };

  let ca: KeyPair | undefined = caData?.['tls.crt'] && caData['tls.key'] ? { certPem: caData['tls.crt'], keyPem: caData['tls.key'] } : undefined;
  let caCert = certInfo(ca?.certPem);
  let previous = caData?.['previous.crt'];
  if (!ca || !caCert || now.getTime() >= caCert.notAfter.getTime() - caRenewBefore) {
    if (ca && caCert && caCert.notAfter > now) previous = ca.certPem;
    ca = await createCa(`${cluster.metadata.name}.${cluster.metadata.namespace} Glider CA`, now, parseDuration(caSpec.duration));
    caCert = certInfo(ca.certPem)!;
    rotated.ca = true;
  }
  const prevInfo = certInfo(previous);
  if (!prevInfo || prevInfo.notAfter <= now) previous = undefined;
  const bundle = ca.certPem + (previous ?? '');

  const wanted = serverDnsNames(cluster);
  let server: KeyPair | undefined =
    serverData?.['tls.crt'] && serverData['tls.key'] ? { certPem: serverData['tls.crt'], keyPem: serverData['tls.key'] } : undefined;
  let info = certInfo(server?.certPem);
  const renewBefore = parseDuration(tls.renewBefore);
  const stale =
    !server ||
    !info ||
    now.getTime() >= info.notAfter.getTime() - renewBefore ||
    info.dnsNames.length !== wanted.length ||
    info.dnsNames.some((n) => !wanted.includes(n)) ||
    !(await signedBy(server.certPem, ca.certPem));
  if (stale) {
    server = await issueServerCertificate(ca, wanted, now, parseDuration(tls.duration));
    info = certInfo(server.certPem)!;
    rotated.server = true;
  }
  const next = [
    info!.notAfter.getTime() - renewBefore,
    caCert.notAfter.getTime() - caRenewBefore,
    prevInfo && previous ? prevInfo.notAfter.getTime() : Infinity,
  ];
  return {
    caData: { 'tls.crt': ca.certPem, 'tls.key': ca.keyPem, ...(previous ? { 'previous.crt': previous } : {}) },
    serverData: { 'tls.crt': server!.certPem, 'tls.key': server!.keyPem, 'ca.crt': bundle },
    notAfter: info!.notAfter,
    serialNumber: info!.serialNumber,
    caNotAfter: caCert.notAfter,
    requeueAfterMs: Math.max(1000, Math.min(...next) - now.getTime()),
    rotated,
  };
}

/** The CA certificates a bundle trusts (for status and tests). */
export const trustedCas = (data: SecretData | undefined): string[] => splitPem(data?.['ca.crt']);
