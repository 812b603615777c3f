import { orderTargets, type ConnectTarget, type SrvRecord } from './srv-targets.js';
import { usableTlsa, type Tlsa } from './tlsa.js';

/**
 * RFC 7673 §3 (DANE with SRV) for s2s: where to connect for a remote domain, and what its
 * endpoints' certificates must match, from a DNSSEC-validating resolver's answers. Pure: the DNS
 * client is passed in (libs/dns; `secure` is the AD bit of a resolver we trust, RFC 4035 §4.9.3).
 *
 * - §3.1 SRV: a failed lookup (SERVFAIL is how a validating resolver reports bogus, or a timeout:
 *   "indeterminate") aborts: `failed`. An insecure answer, or no SRV records at all: this protocol
 *   does not apply (`insecure`), the caller does what it does without DNSSEC.
 * - §3.2 addresses of each target (in RFC 2782 order): a failed lookup skips the target ("MUST NOT
 *   connect"); secure addresses lead to a TLSA query, insecure ones do not.
 * - §3.3/§3.4 TLSA at `_<port>._tcp.<target>`: a failed lookup skips the target; a secure answer
 *   with usable records (RFC 6698 §4.1) binds the endpoint to them; otherwise PKIX as usual.
 *
 * Every target of a secure SRV answer carries the target host name as a second reference
 * identifier (§4.1, "SRV is secure").
 */
export interface DnsLookup {
  (name: string, type: 'SRV' | 'A' | 'AAAA' | 'TLSA'): Promise<DnsResult>;
}

export type DnsResult =
  | { ok: true; secure: boolean; srv?: SrvRecord[]; addresses?: string[]; tlsa?: Tlsa[] }
  /** SERVFAIL (bogus), a timeout, REFUSED, a malformed answer: RFC 7673's "bogus or indeterminate". */
  | { ok: false; reason: string };

/** What a secure SRV answer says about one endpoint (ConnectTarget.dane). */
export interface DaneEndpoint {
  /** The SRV target host name: a reference identifier beside the domain (RFC 7673 §4.1). */
  targetHost: string;
  /** Usable TLSA records published for it; empty: PKIX with both reference identifiers. */
  tlsa: Tlsa[];
}

export type DaneTargets =
  | { kind: 'targets'; targets: ConnectTarget[]; skipped: string[] }
  | { kind: 'no-service' }
  | { kind: 'insecure'; why: string }
  | { kind: 'failed'; reason: string };

export async function daneTargets(domain: string, lookup: DnsLookup, random: () => number = Math.random): Promise<DaneTargets> {
  const [xmpps, xmpp] = await Promise.all([lookup(`_xmpps-server._tcp.${domain}`, 'SRV'), lookup(`_xmpp-server._tcp.${domain}`, 'SRV')]);
  for (const r of [xmpps, xmpp]) if (!r.ok) return { kind: 'failed', reason: `SRV lookup for ${domain}: ${r.reason} (RFC 7673 §3.1: abort)` };
  const [s, x] = [xmpps, xmpp] as Extract<DnsResult, { ok: true }>[];
  const records = [...(s!.srv ?? []), ...(x!.srv ?? [])];
  if (records.length === 0) return { kind: 'insecure', why: 'no SRV records' };
  if (!s!.secure || !x!.secure) return { kind: 'insecure', why: 'the SRV answer is not DNSSEC-signed' };
  const ordered = orderTargets(domain, s!.srv ?? [], x!.srv ?? [], random);
  if (ordered.kind === 'no-service') return ordered;
  const targets: ConnectTarget[] = [];
  const skipped: string[] = [];
  for (const t of ordered.targets) {
    const endpoint = await resolveEndpoint(t, lookup);
    if ('skip' in endpoint) skipped.push(endpoint.skip);
    else for (const address of endpoint.addresses) targets.push({ host: address, port: t.port, directTls: t.directTls, dane: endpoint.dane });
  }
  if (targets.length === 0) return { kind: 'failed', reason: `no SRV target of ${domain} is usable: ${skipped.join('; ')}` };
  return { kind: 'targets', targets, skipped };
}

async function resolveEndpoint(t: ConnectTarget, lookup: DnsLookup): Promise<{ addresses: string[]; dane: DaneEndpoint } | { skip: string }> {
  const [a, aaaa] = await Promise.all([lookup(t.host, 'A'), lookup(t.host, 'AAAA')]);
  for (const r of [a, aaaa]) if (!r.ok) return { skip: `${t.host}: address lookup ${r.reason} (RFC 7673 §3.2)` };
  const [v4, v6] = [a, aaaa] as Extract<DnsResult, { ok: true }>[];
  const addresses = [...(v4!.addresses ?? []), ...(v6!.addresses ?? [])];
  if (addresses.length === 0) return { skip: `${t.host}: no address` };
  if (!v4!.secure || !v6!.secure) return { addresses, dane: { targetHost: t.host, tlsa: [] } };
  const tlsa = await lookup(`_${t.port}._tcp.${t.host}`, 'TLSA');
  if (!tlsa.ok) return { skip: `${t.host}: TLSA lookup ${tlsa.reason} (RFC 7673 §3.4: MUST NOT connect)` };
  return { addresses, dane: { targetHost: t.host, tlsa: tlsa.secure ? usableTlsa(tlsa.tlsa ?? []) : [] } };
}
