import type { S2sDaneConfig } from '#libs/config';
import { DnsClient, RCODE, RR, type DnsRecord } from '#libs/dns';
import type { DnsLookup, DnsResult, Tlsa } from '#libs/federation';

/**
 * libs/federation's `DnsLookup` over the configured validating resolver (`s2s.dane.resolver`,
 * libs/dns): NOERROR and NXDOMAIN are answers (secure when AD is set); SERVFAIL — how a validating
 * resolver reports a bogus answer (RFC 4035 §5.5) — any other RCODE, a timeout or a malformed
 * message are failures, which DANE treats as "bogus or indeterminate" (RFC 7673 §3), never as
 * "insecure". Undefined when DANE is off.
 */
export function daneLookup(config: S2sDaneConfig): DnsLookup | undefined {
  if (!config.resolver) return undefined;
  const client = new DnsClient({
    resolver: config.resolver,
    timeoutMs: config.timeoutMs,
    tries: config.tries,
    udpPayloadBytes: config.udpPayloadBytes,
    maxResponseBytes: config.maxResponseBytes,
    maxRecords: config.maxRecords,
  });
  return async (name, type): Promise<DnsResult> => {
    let answer;
    try {
      answer = await client.query(name, RR[type]);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    if (answer.rcode !== RCODE.NOERROR && answer.rcode !== RCODE.NXDOMAIN)
      return { ok: false, reason: `${rcodeName(answer.rcode)} from the resolver${answer.rcode === RCODE.SERVFAIL ? ' (bogus or unreachable)' : ''}` };
    const records = answer.records;
    return {
      ok: true,
      secure: answer.secure,
      srv: records.flatMap((r) => (isSrv(r) ? [{ name: r.target, port: r.port, priority: r.priority, weight: r.weight }] : [])),
      addresses: records.flatMap((r) => ('address' in r ? [r.address] : [])),
      tlsa: records.flatMap((r): Tlsa[] => ('usage' in r ? [{ usage: r.usage, selector: r.selector, matching: r.matching, data: r.data }] : [])),
    };
  };
}

function isSrv(r: DnsRecord): r is Extract<DnsRecord, { priority: number }> {
  return r.type === RR.SRV && 'priority' in r;
}

function rcodeName(rcode: number): string {
  return Object.entries(RCODE).find(([, v]) => v === rcode)?.[0] ?? `RCODE ${rcode}`;
}
