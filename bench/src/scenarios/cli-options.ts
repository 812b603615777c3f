// Command-line options shared by `npm run bench` and `npm run bench:compare`.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULTS, type BenchOptions } from './options.js';
import type { ScenarioName } from './result.js';

export const SCENARIO_HELP = `  --user-prefix bench   accounts are <prefix>0 … <prefix>N-1   --password secret   --users ${DEFAULTS.users}
  --scenarios ${DEFAULTS.scenarios.join(',')}   --label <name in the table>   --muc-domain conference.<domain>
  --logins ${DEFAULTS.logins} --login-concurrency ${DEFAULTS.loginConcurrency}
  --pairs ${DEFAULTS.pairs} --window ${DEFAULTS.window} --duration ${DEFAULTS.durationS} (s) --warmup ${DEFAULTS.warmupS} (s) --body-bytes ${DEFAULTS.bodyBytes}
  --idle ${DEFAULTS.idle}   --rooms ${DEFAULTS.rooms} --occupants ${DEFAULTS.occupants}
  --join-wave ${DEFAULTS.joinWave} (muc: occupants joining at once, 0 = all)   --join-ms-per-occupant ${DEFAULTS.joinMsPerOccupant}
  --workers ${DEFAULTS.workers} (generator processes)   --timeout 30000 (ms per login)
  --server-pid [name=]pid   repeatable: server processes whose RSS and CPU are measured
  --sm                      clients enable XEP-0198 stream management (acks both ways)
  --json                    only the JSON lines`;

export function parseBenchArgs(
  argv: string[],
  help: string,
  extra: NonNullable<ParseArgsConfig['options']> = {},
): { opts: BenchOptions; jsonOnly: boolean; values: Record<string, unknown> } {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...extra,
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5222' },
      domain: { type: 'string', default: 'localhost' },
      'user-prefix': { type: 'string', default: 'bench' },
      password: { type: 'string', default: 'secret' },
      users: { type: 'string' },
      scenarios: { type: 'string' },
      label: { type: 'string' },
      'muc-domain': { type: 'string' },
      logins: { type: 'string' },
      'login-concurrency': { type: 'string' },
      pairs: { type: 'string' },
      window: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'body-bytes': { type: 'string' },
      idle: { type: 'string' },
      rooms: { type: 'string' },
      occupants: { type: 'string' },
      'join-wave': { type: 'string' },
      'join-ms-per-occupant': { type: 'string' },
      workers: { type: 'string' },
      timeout: { type: 'string', default: '30000' },
      'server-pid': { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      sm: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help) {
    console.log(help);
    process.exit(0);
  }
  const num = (s: string | undefined, d: number): number => {
    if (s === undefined) return d;
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) throw new Error(`not a number: ${s}`);
    return n;
  };
  const scenarios = (v.scenarios?.split(',') ?? DEFAULTS.scenarios) as ScenarioName[];
  for (const s of scenarios) if (!['login', 'msg', 'idle', 'muc'].includes(s)) throw new Error(`unknown scenario ${s}`);
  const opts: BenchOptions = {
    label: v.label ?? `${v.host}:${v.port}`,
    target: {
      host: v.host,
      port: num(v.port, 5222),
      domain: v.domain,
      userPrefix: v['user-prefix'],
      password: v.password,
      mucDomain: v['muc-domain'] ?? `conference.${v.domain}`,
      timeoutMs: num(v.timeout, 30000),
      sm: v.sm,
    },
    scenarios,
    users: num(v.users, DEFAULTS.users),
    logins: num(v.logins, DEFAULTS.logins),
    loginConcurrency: num(v['login-concurrency'], DEFAULTS.loginConcurrency),
    pairs: num(v.pairs, DEFAULTS.pairs),
    window: num(v.window, DEFAULTS.window),
    durationS: num(v.duration, DEFAULTS.durationS),
    warmupS: num(v.warmup, DEFAULTS.warmupS),
    bodyBytes: num(v['body-bytes'], DEFAULTS.bodyBytes),
    idle: num(v.idle, DEFAULTS.idle),
    rooms: num(v.rooms, DEFAULTS.rooms),
    occupants: num(v.occupants, DEFAULTS.occupants),
    joinWave: num(v['join-wave'], DEFAULTS.joinWave),
    joinMsPerOccupant: num(v['join-ms-per-occupant'], DEFAULTS.joinMsPerOccupant),
    workers: num(v.workers, DEFAULTS.workers),
    serverProcesses: v['server-pid'].map((s, i) => {
      const [name, pid] = s.includes('=') ? s.split('=') : [`server${i}`, s];
      return { name: name ?? `server${i}`, pid: num(pid, 0) };
    }),
  };
  return { opts, jsonOnly: v.json, values: v };
}
