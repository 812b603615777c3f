import 'reflect-metadata'; // @peculiar/x509's DI container needs it loaded first
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const VALIDITY_MS = 365 * 24 * 3600 * 1000;

/** The names a generated certificate covers: every domain, its subdomains, and loopback. */
export function selfSignedNames(domains: string[]): { dns: string[]; ips: string[] } {
  const dns = new Set<string>();
  for (const d of domains) {
    dns.add(d);
    dns.add(`*.${d}`);
  }
  dns.add('localhost');
  return { dns: [...dns], ips: ['127.0.0.1', '::1'] };
}

/** An ECDSA P-256 / SHA-256 self-signed server certificate valid for one year, as PEM. */
export async function generateSelfSigned(domains: string[]): Promise<{ key: string; cert: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const names = selfSignedNames(domains);
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01' + randomBytes(15).toString('hex'),
    name: `CN=${domains[0] ?? 'localhost'}, O=Glider self-signed`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + VALIDITY_MS),
    keys: keys as never,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { key: key.endsWith('\n') ? key : key + '\n', cert: cert.toString('pem') + '\n' };
}
