import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { GliderConfig } from '#libs/config';

/** A port an app process listens on, with the config key that sets it. */
export interface ListenPort {
  key: string;
  host: string;
  port: number;
  /** Default tcp; TURN listens on UDP too (the same number on both is no clash). */
  protocol?: 'tcp' | 'udp';
  /**
   * Bound with SO_REUSEPORT (`edge.reusePort`): other processes that set it too may hold the port
   * (edges sharing a port on one host), so it is probed the same way; one that did not set it is
   * still a clash.
   */
  shared?: boolean;
}

/** Roles whose process runs the edge's listeners (the edge app itself, and standalone). */
const EDGE_ROLES = new Set(['edge', 'standalone']);
/** Roles whose process runs media-relay's listeners when `media.enabled` (apps/media-relay). */
const MEDIA_ROLES = new Set(['media-relay', 'standalone']);

/**
 * Every port a role's process will listen on, from its config: the health/metrics port always, the
 * admin gRPC port when the app serves the admin API, the client ports where the edge runs (plain
 * WebSocket only when enabled), media-relay's when media.enabled. Port 0 (a free port, for tests) is left out: it cannot be busy.
 */
export function listenPorts(role: string, config: GliderConfig, opts: { admin: boolean }): ListenPort[] {
  const out: ListenPort[] = [];
  const add = (key: string, host: string, port: number, protocol?: 'udp') => port > 0 && out.push({ key, host, port, ...(protocol && { protocol }) });
  if (EDGE_ROLES.has(role)) {
    const e = config.edge;
    const shared = (key: string, port: number) => port > 0 && out.push({ key, host: e.host, port, ...(e.reusePort && { shared: true }) });
    shared('edge.c2sPort', e.c2sPort);
    shared('edge.directTlsPort', e.directTlsPort);
    shared('edge.wssPort', e.wssPort);
    if (e.wsEnabled) shared('edge.wsPort', e.wsPort);
    // Federation (apps/edge s2s.server.ts) listens on the edge's host only when enabled, with the edge's reusePort.
    if (config.s2s.enabled) {
      shared('s2s.port', config.s2s.port);
      shared('s2s.directTlsPort', config.s2s.directTlsPort);
    }
  }
  if (MEDIA_ROLES.has(role) && config.media.enabled) {
    const m = config.media;
    if (m.upload.enabled) add('media.upload.port', m.upload.host, m.upload.port);
    if (m.socks5.enabled) add('media.socks5.port', m.socks5.host, m.socks5.port);
    const turn = m.turn;
    if (turn.enabled && turn.transports.includes('udp')) add('media.turn.udpPort', turn.host, turn.udpPort, 'udp');
    if (turn.enabled && turn.transports.includes('tcp')) add('media.turn.tcpPort', turn.host, turn.tcpPort);
    if (turn.enabled && turn.transports.includes('tls')) add('media.turn.tlsPort', turn.host, turn.tlsPort);
  }
  if (opts.admin) add('admin.grpcPort', config.admin.host, config.admin.grpcPort);
  add('http.port', config.http.host, config.http.port);
  return out;
}

/** The env variable that sets a config key: edge.c2sPort → GLIDER_EDGE__C2S_PORT (libs/config). */
export function envNameOf(key: string): string {
  return `GLIDER_${key
    .split('.')
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase())
    .join('__')}`;
}

const fix = (key: string): string => `set ${key} in the config file or ${envNameOf(key)}=<port>`;

function tryListen(p: ListenPort): Promise<string | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const where = `${p.host}:${p.port}${p.protocol === 'udp' ? '/udp' : ''} (${p.key})`;
      if (err.code === 'EADDRINUSE') resolve(`${where} is already in use, by another Glider or XMPP server? Choose a free port: ${fix(p.key)}`);
      else if (err.code === 'EACCES') resolve(`${where}: not allowed to listen on port ${p.port} (ports below 1024 need privileges): ${fix(p.key)}`);
      else if (err.code === 'EADDRNOTAVAIL')
        resolve(`${where}: no interface has the address ${p.host}: set ${p.key.replace(/\.\w+$/, '.host')} to an address of this machine`);
      else resolve(`${where}: cannot listen: ${err.message}`);
    };
    if (p.protocol === 'udp') {
      const socket = createSocket(p.host.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', onError);
      socket.bind({ port: p.port, address: p.host, exclusive: true }, () => socket.close(() => resolve(undefined)));
      return;
    }
    const server = createServer();
    server.once('error', onError);
    server.listen({ port: p.port, host: p.host, exclusive: true, reusePort: p.shared === true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * What stops these ports from being bound, one line each (empty when all can be): a port set twice,
 * a port in use, a port or address not allowed. Each line names the key and its env variable.
 * Probing binds and releases each port at once, so a process can refuse to start before it has
 * opened its database or written a file.
 */
export async function listenProblems(ports: ListenPort[]): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const p of ports) {
    const id = `${p.protocol ?? 'tcp'}/${p.port}`;
    const other = seen.get(id);
    if (other) problems.push(`${p.key} and ${other} are both ${p.port}: ${fix(p.key)}`);
    else seen.set(id, p.key);
  }
  for (const p of ports) {
    const problem = await tryListen(p);
    if (problem) problems.push(problem);
  }
  return problems;
}
