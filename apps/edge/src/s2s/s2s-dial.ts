import { Resolver } from 'node:dns/promises';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type SecureContext } from 'node:tls';
import type { S2sConfig } from '#libs/config';
import { daneTargets, orderTargets, type ConnectTarget, type DnsLookup, type SrvRecord } from '#libs/federation';
import { SocketTransport } from '../transport/socket.transport.js';
import type { Transport } from '../transport/transport.js';

/**
 * Where a remote domain's server is (RFC 6120 §3.2.1, XEP-0368): `s2s.routes` first (private links,
 * tests), else `_xmpps-server._tcp` and `_xmpp-server._tcp` SRV records ordered by RFC 2782, else
 * the domain itself on 5269. 'no-service' when the domain publishes a "." target.
 *
 * With DANE (`s2s.dane.resolver`, `dane` from dane-lookup.ts) the SRV records come from the
 * validating resolver first (RFC 7673 §3): secure → its targets with their TLSA records; a failed
 * (bogus, indeterminate) lookup → an error, never a downgrade; insecure → as without DANE.
 */
export async function targetsOf(
  remote: string,
  config: S2sConfig,
  resolver = new Resolver({ timeout: config.dnsTimeoutMs, tries: 2 }),
  dane?: DnsLookup,
  log?: (msg: string, fields: Record<string, unknown>) => void,
): Promise<ConnectTarget[] | 'no-service'> {
  const route = config.routes[remote];
  if (route) return [{ host: route.host, port: route.port, directTls: route.directTls }];
  if (dane) {
    const secure = await daneTargets(remote, dane);
    if (secure.kind === 'failed') throw new DaneLookupError(`DANE: ${secure.reason}`);
    if (secure.kind === 'no-service') return 'no-service';
    if (secure.kind === 'targets') {
      if (secure.skipped.length > 0) log?.('DANE: SRV targets skipped', { remote, skipped: secure.skipped });
      return secure.targets;
    }
    log?.('DANE does not apply', { remote, why: secure.why });
  }
  const [xmpps, xmpp] = await Promise.all([srv(resolver, `_xmpps-server._tcp.${remote}`), srv(resolver, `_xmpp-server._tcp.${remote}`)]);
  const r = orderTargets(remote, xmpps, xmpp);
  return r.kind === 'no-service' ? 'no-service' : r.targets;
}

/** A DNSSEC lookup that failed (bogus, indeterminate): the domain is refused, never reached without DANE. */
export class DaneLookupError extends Error {}

async function srv(resolver: Resolver, name: string): Promise<SrvRecord[]> {
  try {
    return await resolver.resolveSrv(name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'ENONAME') return [];
    throw err;
  }
}

/**
 * Opens a TCP connection (STARTTLS follows on the stream) or a direct TLS one (XEP-0368: ALPN
 * `xmpp-server`, SNI the remote domain; the certificate is checked by the stream, not here).
 */
export function dial(target: ConnectTarget, remote: string, secureContext: SecureContext, timeoutMs: number): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket: Socket = target.directTls
      ? connectTls({ host: target.host, port: target.port, servername: remote, secureContext, rejectUnauthorized: false, ALPNProtocols: ['xmpp-server'] })
      : connectTcp({ host: target.host, port: target.port });
    const timer = setTimeout(() => fail(new Error(`connecting to ${target.host}:${target.port} timed out`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once(target.directTls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(new SocketTransport(socket));
    });
  });
}
