// Can this machine hold the soak? The server process needs a file descriptor per connection, each
// generator process one per connection it holds, and each source address has only the ephemeral
// port range to connect from. Checked before anything starts, with what to change.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Descriptors the server holds besides client sockets (listeners, database, logs, nats, timers' fds…). */
export const SERVER_FD_RESERVE = 200;
/** Descriptors a generator process holds besides its sockets. */
export const GENERATOR_FD_RESERVE = 100;
/** Share of the ephemeral port range one source address may use (TIME_WAIT from earlier runs takes the rest). */
const PORT_SHARE = 0.7;

export interface Machine {
  /** `ulimit -Hn`: what a process we start can raise its soft limit to. */
  fdHardLimit: number;
  /** Ports in net.ipv4.ip_local_port_range. */
  ephemeralPorts: number;
}

export function readMachine(): Machine {
  const hard = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  let ephemeralPorts = 28_232;
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) ephemeralPorts = hi - lo + 1;
  } catch {
    /* not Linux: the default range */
  }
  return { fdHardLimit: hard === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(hard), ephemeralPorts };
}

export interface SoakSize {
  connections: number;
  pairs: number;
  workers: number;
  sourceAddresses: number;
}

/** Source addresses needed so that no address uses more than its share of the ephemeral ports. */
export function sourceAddressesFor(totalConnections: number, m: Machine): number {
  return Math.max(1, Math.ceil(totalConnections / Math.floor(m.ephemeralPorts * PORT_SHARE)));
}

/** What prevents the run, each with the remedy; empty when it fits. */
export function limitProblems(size: SoakSize, m: Machine): string[] {
  const problems: string[] = [];
  const total = size.connections + 2 * size.pairs;
  const serverNeeds = total + SERVER_FD_RESERVE;
  if (serverNeeds > m.fdHardLimit) {
    problems.push(
      `the server needs about ${serverNeeds} file descriptors (${total} connections + ${SERVER_FD_RESERVE} of its own) but the hard limit is ${m.fdHardLimit} ` +
        `(ulimit -Hn; raising it needs CAP_SYS_RESOURCE: as root \`ulimit -Hn 65536\` or systemd LimitNOFILE=, in a container --ulimit nofile=65536). ` +
        `Here at most --connections ${Math.max(0, m.fdHardLimit - SERVER_FD_RESERVE - 2 * size.pairs)}`,
    );
  }
  const perWorker = Math.ceil(total / Math.max(1, size.workers)) + GENERATOR_FD_RESERVE;
  if (perWorker > m.fdHardLimit) {
    problems.push(`each generator process would hold about ${perWorker} descriptors, above the hard limit ${m.fdHardLimit}: raise --workers`);
  }
  const perAddress = Math.ceil(total / Math.max(1, size.sourceAddresses));
  if (perAddress > m.ephemeralPorts * PORT_SHARE) {
    problems.push(
      `${perAddress} connections per source address exceed ${Math.floor(PORT_SHARE * 100)} % of the ${m.ephemeralPorts} ephemeral ports: raise --source-addresses (127.0.0.x)`,
    );
  }
  return problems;
}
