import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

/**
 * A throwaway CA and a server certificate whose AIA names an OCSP responder on loopback, made with
 * the openssl CLI (tests only). `startResponder()` runs `openssl ocsp` as that responder.
 */
export interface TestPki {
  dir: string;
  caCert: string;
  /** Server certificate followed by the CA (the chain Node needs to know the issuer). */
  chainFile: string;
  keyFile: string;
  ocspPort: number;
  startResponder(): Promise<ChildProcess>;
}

export function makeTestPki(dir: string, ocspPort: number, names: string[] = ['example.test', 'localhost']): TestPki {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=Glider test CA',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${names[0]}`);
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${san}\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:${ocspPort}\nextendedKeyUsage=serverAuth\n`);
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext.cnf');
  const server = readFileSync(join(dir, 'server.crt'), 'utf8');
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  writeFileSync(join(dir, 'chain.pem'), server + ca);
  const x509 = new X509Certificate(server);
  const expiry = new Date(x509.validTo).toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  writeFileSync(join(dir, 'index.txt'), `V\t${expiry}\t\t${x509.serialNumber}\tunknown\t/CN=${names[0]}\n`);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    chainFile: join(dir, 'chain.pem'),
    keyFile: join(dir, 'server.key'),
    ocspPort,
    startResponder: async () => {
      const child = spawn(
        'openssl',
        ['ocsp', '-index', 'index.txt', '-port', String(ocspPort), '-rsigner', 'ca.crt', '-rkey', 'ca.key', '-CA', 'ca.crt', '-nmin', '60', '-ignore_err'],
        {
          cwd: dir,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      await waitForListening(child);
      return child;
    },
  };
}

/** openssl prints ACCEPT once it listens (a probe connection instead would wedge its one-at-a-time loop). */
function waitForListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (/ACCEPT|waiting for OCSP client connections/.test(seen)) {
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`openssl ocsp exited with ${code}: ${seen}`)));
  });
}
