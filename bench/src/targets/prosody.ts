// Prosody from Debian's package, started as a plain process with bench/peers/prosody.cfg.lua.
// Accounts are written straight into its data directory (SCRAM-SHA-256 hashes, as mod_auth_internal_hashed
// stores them), which is far faster than `prosodyctl register` per user.
import { createHash, createHmac, pbkdf2, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { forEachLimited, freePort, notInstalled, makeCertificate, PEERS_DIR, renderConfig, startProcess, stopProcess, waitForPort } from './support.js';
import type { StartOutcome, TargetRequest } from './target.js';

const pbkdf2Async = promisify(pbkdf2);
const ITERATIONS = 4096;

/** Prosody's datamanager path encoding. */
const encode = (s: string) => s.replace(/\W/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

async function writeAccounts(dataDir: string, req: TargetRequest): Promise<void> {
  const dir = join(dataDir, encode(req.domain), 'accounts');
  mkdirSync(dir, { recursive: true });
  await forEachLimited(req.users, 16, async (i) => {
    const salt = randomUUID();
    const salted = await pbkdf2Async(req.password, salt, ITERATIONS, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest('hex');
    const serverKey = createHmac('sha256', salted).update('Server Key').digest('hex');
    writeFileSync(
      join(dir, `${encode(`${req.userPrefix}${i}`)}.dat`),
      `return {\n\t["iteration_count"] = ${ITERATIONS};\n\t["salt"] = "${salt}";\n` +
        `\t["server_key"] = "${serverKey}";\n\t["stored_key"] = "${storedKey}";\n};\n`,
    );
  });
}

export async function startProsody(req: TargetRequest): Promise<StartOutcome> {
  const absent = notInstalled('prosody');
  if (absent) return { ok: false, reason: absent };
  const port = await freePort();
  const muc = `conference.${req.domain}`;
  const { cert, key } = makeCertificate(req.dir, req.domain);
  const dataDir = join(req.dir, 'data');
  await writeAccounts(dataDir, req);
  const config = join(req.dir, 'prosody.cfg.lua');
  renderConfig(join(PEERS_DIR, 'prosody.cfg.lua'), config, { DIR: req.dir, PORT: port, DOMAIN: req.domain, MUC: muc, CERT: cert, KEY: key });
  const logFile = join(req.dir, 'stdout.log');
  const child = startProcess('prosody', ['--config', config, '-F'], { cwd: req.dir, logFile });
  try {
    await waitForPort(port, child, 20_000, logFile);
  } catch (err) {
    await stopProcess(child);
    return { ok: false, reason: `Prosody did not start: ${(err as Error).message}` };
  }
  return {
    ok: true,
    target: {
      label: 'prosody',
      host: '127.0.0.1',
      port,
      domain: req.domain,
      mucDomain: muc,
      processes: [{ name: 'prosody', pid: child.pid! }],
      notes: [
        'Prosody: no mod_limits (Debian: c2s 10kb/s), gc generational, nagle = false (TCP_NODELAY), backlog 1024, SCRAM-SHA-256 4096 it., no s2s/offline',
      ],
      stop: () => stopProcess(child),
    },
  };
}
