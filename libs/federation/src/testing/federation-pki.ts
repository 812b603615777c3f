import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Tests only: a throwaway CA (openssl CLI) that issues server certificates per domain with the
 * identities an XMPP server presents (DNS-ID, SRV-ID, XmppAddr) and a chosen extended key usage.
 */
export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  /** Leaf then CA: what a server sends. */
  chainFile: string;
  cert: string;
  key: string;
}

export interface IssueOptions {
  /** subjectAltName entries in openssl syntax; default: DNS-ID and both SRV-IDs and XmppAddr of `domain`. */
  san?: string[];
  /** extendedKeyUsage value; default `serverAuth,clientAuth`; `none` leaves the extension out. */
  eku?: string;
  /** Sign with this certificate's key instead of the CA's (to build bad paths). */
  signer?: IssuedCertificate;
}

export interface FederationPki {
  dir: string;
  caFile: string;
  caPem: string;
  issue(domain: string, opts?: IssueOptions): IssuedCertificate;
}

export function xmppServerSans(domain: string): string[] {
  return [`DNS:${domain}`, `otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.${domain}`, `otherName:1.3.6.1.5.5.7.8.5;UTF8:${domain}`];
}

export function makeFederationPki(dir: string, caName = 'Glider federation test CA'): FederationPki {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const ca = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', `/CN=${caName}`, '-days', '2', ...ca);
  const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  let serial = 0;
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    caPem,
    issue(domain, opts = {}) {
      const base = `${domain.replace(/[^a-z0-9.-]/gi, '_')}-${++serial}`;
      run('req', ...ec, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${domain}`);
      const san = opts.san ?? xmppServerSans(domain);
      const lines = ['basicConstraints=CA:FALSE', ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : [])];
      const eku = opts.eku ?? 'serverAuth,clientAuth';
      if (eku !== 'none') lines.push(`extendedKeyUsage=${eku}`);
      writeFileSync(join(dir, `${base}.cnf`), lines.join('\n') + '\n');
      run(
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        opts.signer?.certFile ?? 'ca.crt',
        '-CAkey',
        opts.signer?.keyFile ?? 'ca.key',
        '-set_serial',
        String(1000 + serial),
        '-out',
        `${base}.crt`,
        '-days',
        '1',
        '-extfile',
        `${base}.cnf`,
      );
      const cert = readFileSync(join(dir, `${base}.crt`), 'utf8');
      writeFileSync(join(dir, `${base}.chain.pem`), cert + caPem);
      return {
        certFile: join(dir, `${base}.crt`),
        keyFile: join(dir, `${base}.key`),
        chainFile: join(dir, `${base}.chain.pem`),
        cert,
        key: readFileSync(join(dir, `${base}.key`), 'utf8'),
      };
    },
  };
}
