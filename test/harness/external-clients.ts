import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface ExternalResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>, stdin = '', timeoutMs = 40_000): Promise<ExternalResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

/** Debian's slixmpp imports only under /usr/bin/python3 (the PATH python3 is pyenv's). */
export function slixmpp(args: string[]): Promise<ExternalResult> {
  return run('/usr/bin/python3', [join(repoRoot, 'test/clients/slix_chat.py'), ...args], {});
}

/** Another slixmpp script of test/clients (same interpreter as `slixmpp`). */
export function slixmppScript(script: string, args: string[]): Promise<ExternalResult> {
  return run('/usr/bin/python3', [join(repoRoot, 'test/clients', script), ...args], {});
}

/** test/clients/slix_mam.py: slixmpp's xep_0313 walking its own archive (same interpreter rule). */
export function slixmppMam(args: string[]): Promise<ExternalResult> {
  return run('/usr/bin/python3', [join(repoRoot, 'test/clients/slix_mam.py'), ...args], {});
}

/** go-sendxmpp sends stdin as one message to the recipients; trusts only the server's certificate. */
export function goSendxmpp(opts: {
  jid: string;
  password: string;
  host: string;
  port: number;
  directTls: boolean;
  certPem: string;
  certDir: string;
  to: string;
  body: string;
  /** A file go-sendxmpp sends by XEP-0363 (`-h`): it asks the server's upload service for a slot and messages the URL. */
  httpUpload?: string;
}): Promise<ExternalResult> {
  const caFile = join(opts.certDir, 'go-sendxmpp-ca.pem');
  writeFileSync(caFile, opts.certPem);
  const [user] = opts.jid.split('@');
  const args = [
    '-u',
    opts.jid,
    '-p',
    opts.password,
    '-j',
    `${opts.host}:${opts.port}`,
    '--timeout',
    '20',
    ...(opts.directTls ? ['-t'] : []),
    ...(opts.httpUpload ? ['-h', opts.httpUpload] : []),
    opts.to,
  ];
  void user;
  return run('go-sendxmpp', args, { SSL_CERT_FILE: caFile }, opts.body + '\n');
}
