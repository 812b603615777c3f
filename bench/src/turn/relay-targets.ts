// The two relays the TURN benchmark compares on the same machine in the same run, each in its own
// process, loopback only, same shared secret, relaying to loopback allowed, no bandwidth or byte
// limits (so neither is throttled), UDP only (what the load uses).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { relayPortBlock, startCoturn } from '#libs/testing';

export interface RelayTarget {
  name: string;
  pid: number;
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * coturn with the options checked against turnserver(8): `--relay-threads` left at its default
 * ("a default optimal algorithm", one relay thread per CPU) unless `threads` is given; no
 * `--max-bps`/`--bps-capacity` (unlimited by default), no quotas (`-q`/`-Q` unlimited by default);
 * `--no-tls --no-dtls` (UDP only, as the load); logging to stdout without per-packet lines (coturn
 * logs sessions, not packets, unless `-V`).
 */
export async function startCoturnTarget(secret: string, threads?: number): Promise<RelayTarget> {
  const t = await startCoturn({ secret, args: threads === undefined ? [] : [`--relay-threads=${threads}`] });
  return { name: threads === undefined ? 'coturn' : `coturn (-m ${threads})`, pid: t.pid, host: '127.0.0.1', port: t.port, stop: () => t.stop() };
}

/** Glider's relay (apps/media-relay rfc8656-turn), same settings through `media.turn`. */
export async function startGliderTarget(secret: string): Promise<RelayTarget> {
  const [relayMin, relayMax] = relayPortBlock(200); // as coturn's: inside the ephemeral range, away from freePort's
  const turn = {
    host: '127.0.0.1',
    udpPort: 0,
    transports: ['udp'],
    relayAddress: '127.0.0.1',
    relayPortMin: relayMin,
    relayPortMax: relayMax,
    realm: 'localhost',
    allowedPeers: ['127.0.0.0/8'],
    bandwidthBytesPerSecond: 0,
    maxBytesPerAllocation: 0,
  };
  const script = fileURLToPath(new URL('./glider-relay-process.js', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify(turn), secret], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [undefined])])) as [string | undefined];
  clearTimeout(timer);
  if (!first) throw new Error('Glider relay process exited before listening');
  const ports = JSON.parse(first) as { udp: number };
  return {
    name: 'glider',
    pid: child.pid!,
    host: '127.0.0.1',
    port: ports.udp,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
