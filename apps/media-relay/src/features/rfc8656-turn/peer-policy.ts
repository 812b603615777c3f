import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which peers a client may relay to (RFC 8656 §17.1.5 "open relay" concerns, and SSRF: a TURN
 * server inside a cluster must not become a way into it). Refused by default: loopback,
 * link-local, private (RFC 1918, ULA), shared CGNAT space, unspecified, multicast, reserved and
 * broadcast. `allowedPeers` opens CIDRs anyway (a lab network, a loopback test peer);
 * `deniedPeers` refuses more and wins over `allowedPeers`.
 *
 * The relay's own addresses are a case of their own: another caller's relayed address is a peer
 * in every call between two users behind NATs, and in a company the relay's address is often a
 * private one, so its relay ports are always fine peers. Its other ports are other services on
 * the relay's host (the XMPP server, metrics) and are refused unless the address is in
 * `allowedPeers`; its client listening ports are refused whatever the config (TURN inside TURN).
 */
const DEFAULT_DENIED_V4: [string, number][] = [
  ['0.0.0.0', 8], // unspecified, "this network"
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // RFC 6598 shared address space (CGNAT, often cluster-internal)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (and cloud metadata, 169.254.169.254)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // RFC 6890 IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // RFC 2544 benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];
const DEFAULT_DENIED_V6: [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // RFC 8215 local-use NAT64
  ['100::', 64], // RFC 6666 discard
  ['fc00::', 7], // RFC 4193 unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
];

export interface PeerPolicyOptions {
  allowedPeers: string[];
  deniedPeers: string[];
  /** The relay's own IP addresses (listening, relay and public). */
  ownAddresses: string[];
  /** A port the relay listens on for clients (UDP, TCP, TLS). */
  isListenerPort: (port: number) => boolean;
  /** A port of the relay range (relayPortMin..relayPortMax). */
  isRelayPort: (port: number) => boolean;
}

export class PeerPolicy {
  private readonly defaults = new BlockList();
  private readonly allowed = new BlockList();
  private readonly denied = new BlockList();
  private readonly own: Set<string>;

  constructor(private readonly opts: PeerPolicyOptions) {
    for (const [net, prefix] of DEFAULT_DENIED_V4) this.defaults.addSubnet(net, prefix, 'ipv4');
    for (const [net, prefix] of DEFAULT_DENIED_V6) this.defaults.addSubnet(net, prefix, 'ipv6');
    addAll(this.allowed, opts.allowedPeers);
    addAll(this.denied, opts.deniedPeers);
    this.own = new Set(opts.ownAddresses.map(canonical));
  }

  /** May a permission be installed for this IP (RFC 8656 §9: permissions are per IP address)? */
  permitsAddress(ip: string): boolean {
    const addr = canonical(ip);
    const type = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
    if (!type) return false;
    if (this.denied.check(addr, type)) return false;
    if (this.own.has(addr) || this.allowed.check(addr, type)) return true;
    return !this.defaults.check(addr, type);
  }

  /** May data be relayed to this transport address? */
  permitsPeer(ip: string, port: number): boolean {
    return this.permitsAddress(ip) && !this.refusesOwnPort(ip, port);
  }

  /**
   * A port of the relay's own host that is not a relay port (see above). Cheap on the hot path (a
   * set lookup; a CIDR match only for the relay's own addresses): checked on every relayed
   * datagram, where the address itself was judged when its permission was installed.
   */
  refusesOwnPort(ip: string, port: number): boolean {
    const addr = this.own.has(ip) || !ip.startsWith('::') ? ip : canonical(ip);
    if (!this.own.has(addr) && addr !== '0.0.0.0' && addr !== '::') return false;
    if (this.opts.isListenerPort(port)) return true;
    if (this.opts.isRelayPort(port)) return false;
    return !this.allowed.check(addr, isIPv4(addr) ? 'ipv4' : 'ipv6');
  }
}

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is judged as the IPv4 address it carries. */
function canonical(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip.toLowerCase();
}

function addAll(list: BlockList, cidrs: string[]): void {
  for (const entry of cidrs) {
    const [net, prefix] = entry.split('/') as [string, string | undefined];
    const type = isIPv4(net) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(prefix), type);
  }
}
