import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { GliderConfig } from '#libs/config';
import { generateSelfSigned } from './self-signed.js';

export interface LoadedCertificate {
  key: string;
  cert: string;
  source: 'files' | 'self-signed';
  certFile: string;
  keyFile: string;
}

export interface CertLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The server certificate: the configured PEM files, else a self-signed one generated once into
 * `${dataDir}/tls/` and reused on later starts (so clients that pinned it keep working).
 */
export async function loadOrCreateCertificate(config: GliderConfig, logger: CertLogger): Promise<LoadedCertificate> {
  const { certFile, keyFile } = config.tls;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) throw new Error('tls.certFile and tls.keyFile must be set together');
    const files = { certFile: resolve(certFile), keyFile: resolve(keyFile) };
    const { key, cert } = await readPair(files);
    logger.info({ certFile: files.certFile }, 'using the configured TLS certificate');
    return { key, cert, source: 'files', ...files };
  }
  const dir = resolve(config.dataDir, 'tls');
  const files = { certFile: join(dir, 'self-signed.crt'), keyFile: join(dir, 'self-signed.key') };
  const domains = config.domains.join(', ');
  try {
    const { key, cert } = await readPair(files);
    logger.info(
      { certFile: files.certFile },
      `reusing the self-signed certificate for ${domains} at ${dir}; bring your own with tls.certFile and tls.keyFile (GLIDER_TLS__CERT_FILE / GLIDER_TLS__KEY_FILE)`,
    );
    return { key, cert, source: 'self-signed', ...files };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { key, cert } = await generateSelfSigned(config.domains);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first, each written then renamed, so a crash never leaves a cert without its key.
  await writeAtomic(files.keyFile, key, 0o600);
  await writeAtomic(files.certFile, cert, 0o644);
  logger.warn(
    { certFile: files.certFile },
    `generated a self-signed certificate for ${domains} at ${dir}; bring your own with tls.certFile and tls.keyFile (GLIDER_TLS__CERT_FILE / GLIDER_TLS__KEY_FILE)`,
  );
  return { key, cert, source: 'self-signed', ...files };
}

export async function readPair(files: { certFile: string; keyFile: string }): Promise<{ key: string; cert: string }> {
  const [cert, key] = await Promise.all([readFile(files.certFile, 'utf8'), readFile(files.keyFile, 'utf8')]);
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${files.certFile}: no PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw new Error(`${files.keyFile}: no PEM private key`);
  return { key, cert };
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}
