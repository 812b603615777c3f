import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type GliderConfig } from '#libs/config';
import { AdminCallError, connectAdmin, type AdminApi, type AdminConnection } from './admin-client.js';
import { InputError, readPassword } from './password-input.js';

const USAGE = `Usage: gliderctl [--server HOST:PORT] [--timeout MS] <command>

Commands:
  user add JID [--password-file FILE]     create an account (password: file, prompt, or one line of stdin)
  user del JID                            delete an account and its data
  user list [DOMAIN]                      list accounts (all served domains by default)
  user passwd JID [--password-file FILE]  set a new password
  user sessions JID                       the account's bound resources
  user disable JID                        refuse the account's logins and close its sessions
  user enable JID                         let a disabled account log in again
  user tokens JID                         clients holding XEP-0484 FAST tokens (ids, expiry; never tokens)
  user revoke-tokens JID [CLIENT]         invalidate the FAST tokens of one client (user-agent id) or all
  invite create [JID|DOMAIN] [--group G] [--uses N] [--expires 7d]
                                          an invitation (XEP-0401): prints its xmpp: URI and https link; with a JID the
                                          newcomer and that user become contacts (XEP-0379)
  invite list [DOMAIN]                    invites (id, uses left, expiry; never tokens)
  invite revoke ID                        delete an invite: its link stops working
  online [DOMAIN]                         users with a bound session (all served domains by default)
  announce DOMAIN TEXT [--subject S]      a headline message to every online user of DOMAIN
  stats                                   served domains, account counts, storage health
  directory refresh [DOMAIN]              read the shared roster's directory groups now (pushes changes)

Options:
  --server HOST:PORT   admin API address (default: admin.host:admin.grpcPort from the Glider config,
                       loopback when admin.host is 0.0.0.0; TLS then checks admin.tlsServerName)
  --token-file FILE    the admin token (default: admin.tokenFile, else DATA_DIR/admin-token, which
                       the server makes on first start)
  --tls                connect with TLS (default: admin.tls); --ca FILE verifies the server with it
                       (default: admin.caFile, else the system's CAs)
  --tls-server-name N  the name the server's certificate must cover (default: the --server host;
                       e.g. the admin Service's name through kubectl port-forward)
  --timeout MS         time each call may take (default 10000)
  -h, --help           this help

Exit status: 0 done, 1 failed, 2 usage error.`;

const DEFAULT_TIMEOUT_MS = 10_000;
const LIST_PAGE_SIZE = 500;

class UsageError extends Error {}

interface Options {
  server?: string;
  timeout?: string;
  'token-file'?: string;
  tls?: boolean;
  ca?: string;
  'tls-server-name'?: string;
  'password-file'?: string;
  group?: string;
  uses?: string;
  expires?: string;
  subject?: string;
  help?: boolean;
}

async function main(argv: string[]): Promise<number> {
  let values: Options;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string' },
        timeout: { type: 'string' },
        'token-file': { type: 'string' },
        tls: { type: 'boolean' },
        ca: { type: 'string' },
        'tls-server-name': { type: 'string' },
        'password-file': { type: 'string' },
        subject: { type: 'string' },
        group: { type: 'string' },
        uses: { type: 'string' },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return usage(`--timeout must be a positive number of milliseconds`);
  const config = values.server === undefined || values['token-file'] === undefined ? configOrExit(values.server !== undefined) : undefined;
  const server = values.server ?? `${dialHost(config!.admin.host)}:${config!.admin.grpcPort}`;
  if (!/^[^\s]+:\d{1,5}$/.test(server)) return usage(`--server must be HOST:PORT, got "${server}"`);
  let connection: AdminConnection;
  try {
    connection = connectionOptions(values, config);
    // the config's own address: its certificate may be for another name (admin.tlsServerName)
    const serverName = values['tls-server-name'] ?? (values.server === undefined ? config?.admin.tlsServerName : undefined);
    if (serverName) connection.serverName = serverName;
  } catch (err) {
    return fail((err as Error).message);
  }

  let run: (api: AdminApi) => Promise<void>;
  try {
    run = command(positionals, values);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    throw err;
  }
  const api = connectAdmin(server, timeoutMs, connection);
  try {
    await run(api);
    return 0;
  } catch (err) {
    if (err instanceof AdminCallError && err.unreachable) return fail(`cannot reach the admin API at ${server}: ${err.message}`);
    if (err instanceof AdminCallError || err instanceof InputError) return fail(err.message);
    throw err;
  } finally {
    api.close();
  }
}

function command(args: string[], values: Options): (api: AdminApi) => Promise<void> {
  const [group, verb, arg, ...extra] = args;
  const exactly = (n: number) => {
    if (args.length !== n) throw new UsageError(`"${args.slice(0, 2).join(' ')}" takes ${n - 2 === 1 ? 'one argument' : `${n - 2} arguments`}`);
  };
  if (group === 'stats' && args.length === 1) return stats;
  if (group === 'online') {
    if (args.length > 2) throw new UsageError('"online" takes at most one DOMAIN');
    return (api) => listOnline(api, verb);
  }
  if (group === 'announce') {
    if (args.length !== 3) throw new UsageError('"announce" takes DOMAIN and TEXT');
    return async (api) => {
      const res = await api.Announce({ domain: verb!, subject: values.subject ?? '', body: arg! });
      process.stdout.write(`announced to ${res.delivered} sessions${res.failed ? ` (${res.failed} not reached)` : ''}\n`);
    };
  }
  if (group === 'directory') {
    if (verb !== 'refresh' || args.length > 3) throw new UsageError('"directory" has one command: refresh [DOMAIN]');
    return async (api) => {
      const res = await api.RefreshSharedRoster({ domain: arg ?? '' });
      for (const r of res.domains)
        process.stdout.write(
          `${r.domain}: ${r.groups} groups, ${r.members} members, ${r.changes} changes pushed` +
            `${r.truncated ? ' (more groups than sharedRoster.maxGroups: the rest left out)' : ''}${r.skipped ? ` (${r.skipped} groups over maxMembersPerGroup skipped)` : ''}\n`,
        );
    };
  }
  if (group === 'invite') return inviteCommand(verb, arg, extra, values);
  if (group !== 'user') throw new UsageError(group ? `unknown command "${group}"` : 'no command given');
  switch (verb) {
    case 'add':
      exactly(3);
      return async (api) => {
        await api.ready();
        const password = await readPassword(values['password-file']);
        const res = await api.AddUser({ jid: arg!, password });
        process.stdout.write(`created ${res.jid}\n`);
      };
    case 'passwd':
      exactly(3);
      return async (api) => {
        await api.ready();
        const password = await readPassword(values['password-file']);
        const res = await api.SetPassword({ jid: arg!, password });
        process.stdout.write(`password changed for ${res.jid}\n`);
      };
    case 'del':
      exactly(3);
      return async (api) => {
        const res = await api.DeleteUser({ jid: arg! });
        process.stdout.write(`deleted ${res.jid}\n`);
      };
    case 'sessions':
      exactly(3);
      return async (api) => {
        const { sessions } = await api.ListSessions({ jid: arg! });
        for (const s of sessions) {
          const since = new Date(s.boundAtMs).toISOString();
          process.stdout.write(`${s.jid} edge=${s.edgeId} priority=${s.priority} ${s.available ? 'available' : 'unavailable'} since=${since}\n`);
        }
      };
    case 'disable':
    case 'enable':
      exactly(3);
      return async (api) => {
        const res = verb === 'disable' ? await api.DisableUser({ jid: arg! }) : await api.EnableUser({ jid: arg! });
        process.stdout.write(`${verb}d ${res.jid}\n`);
      };
    case 'tokens':
      exactly(3);
      return async (api) => {
        for (const c of (await api.ListFastTokens({ jid: arg! })).clients) {
          const expires = new Date(c.expiresAtMs).toISOString();
          process.stdout.write(`${c.client} ${c.mechanism} expires=${expires} active=${new Date(c.lastActiveMs).toISOString()}\n`);
        }
      };
    case 'revoke-tokens':
      if (extra.length > 1) throw new UsageError('"user revoke-tokens" takes a JID and at most one CLIENT');
      if (!arg) throw new UsageError('"user revoke-tokens" needs a JID');
      return async (api) => {
        const res = await api.RevokeFastTokens({ jid: arg, client: extra[0] ?? '' });
        process.stdout.write(`revoked the FAST tokens of ${res.revoked} client(s) of ${res.jid}\n`);
      };
    case 'list':
      if (extra.length > 0) throw new UsageError('"user list" takes at most one DOMAIN');
      return (api) => listUsers(api, arg);
    default:
      throw new UsageError(
        verb ? `unknown user command "${verb}"` : 'user needs a command: add, del, list, passwd, sessions, disable, enable, tokens or revoke-tokens',
      );
  }
}

async function listUsers(api: AdminApi, domain: string | undefined): Promise<void> {
  const domains = domain ? [domain] : (await api.Stats({})).domains.map((d) => d.domain);
  for (const d of domains) {
    let pageToken = '';
    do {
      const page = await api.ListUsers({ domain: d, pageSize: LIST_PAGE_SIZE, pageToken });
      for (const u of page.users) process.stdout.write(`${u.jid}${u.disabled ? ' (disabled)' : ''}\n`);
      pageToken = page.nextPageToken;
    } while (pageToken);
  }
}

async function listOnline(api: AdminApi, domain: string | undefined): Promise<void> {
  const domains = domain ? [domain] : (await api.Stats({})).domains.map((d) => d.domain);
  for (const d of domains) {
    for (const u of (await api.ListOnline({ domain: d })).users) process.stdout.write(`${u.jid} ${u.resources.join(' ')}\n`);
  }
}

async function stats(api: AdminApi): Promise<void> {
  const s = await api.Stats({});
  process.stdout.write(`glider ${s.version}\nstorage: ${s.storageProblem || 'ok'}\n`);
  for (const d of s.domains) process.stdout.write(`${d.domain}: ${d.users} users\n`);
}

/** The Glider config for defaults; with `lenient` (an explicit --server), a bad one is no error. */
function configOrExit(lenient: boolean): GliderConfig | undefined {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      if (lenient) return undefined;
      process.stderr.write(`gliderctl: ${err.message} (or pass --server HOST:PORT)\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Token (file named by the flag, else the config's path) and TLS settings. A missing default token file is no error: the server says what is missing. */
function connectionOptions(values: Options, config: GliderConfig | undefined): AdminConnection {
  const explicit = values['token-file'];
  const path = explicit ?? (config ? (config.admin.tokenFile ?? join(config.dataDir, 'admin-token')) : join('data', 'admin-token'));
  let token: string | undefined;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if (explicit !== undefined) throw new Error(`cannot read the admin token: ${(err as Error).message}`);
  }
  const ca = values.ca ?? config?.admin.caFile;
  return { token, tokenPath: path, tls: values.tls ?? config?.admin.tls ?? false, ca: ca ? readFileSync(ca) : undefined };
}

/** A server listening on every interface (admin.host 0.0.0.0 or ::) is dialled on loopback. */
function dialHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host;
}

function usage(message: string): number {
  process.stderr.write(`gliderctl: ${message}\n\n${USAGE}\n`);
  return 2;
}

function fail(message: string): number {
  process.stderr.write(`gliderctl: ${message}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`gliderctl: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);

function inviteCommand(verb: string | undefined, arg: string | undefined, extra: string[], values: Options): (api: AdminApi) => Promise<void> {
  if (extra.length > 0) throw new UsageError(`"invite ${verb}" takes at most one argument`);
  switch (verb) {
    case 'create': {
      const uses = values.uses === undefined ? 0 : Number(values.uses);
      if (!Number.isInteger(uses) || (values.uses !== undefined && uses < 1)) throw new UsageError('--uses takes a whole number ≥ 1');
      return async (api) => {
        const res = await api.CreateInvite({ target: arg ?? '', group: values.group ?? '', uses, expires: values.expires ?? '' });
        process.stdout.write(`${res.uri}\n${res.link}\n`);
        process.stdout.write(`id=${res.invite.id} uses=${res.invite.maxUses} expires=${new Date(res.invite.expiresAtMs).toISOString()}\n`);
      };
    }
    case 'list':
      return async (api) => {
        for (const i of (await api.ListInvites({ domain: arg ?? '' })).invites) {
          const who = i.inviter ? ` inviter=${i.inviter}` : '';
          const grp = i.group ? ` group=${JSON.stringify(i.group)}` : '';
          process.stdout.write(`${i.id} ${i.domain}${who}${grp} uses=${i.usesLeft}/${i.maxUses} expires=${new Date(i.expiresAtMs).toISOString()}\n`);
        }
      };
    case 'revoke':
      if (!arg) throw new UsageError('"invite revoke" needs an ID (see invite list)');
      return async (api) => {
        process.stdout.write(`revoked invite ${(await api.RevokeInvite({ id: arg })).id}\n`);
      };
    default:
      throw new UsageError(verb ? `unknown invite command "${verb}"` : 'invite needs a command: create, list or revoke');
  }
}
