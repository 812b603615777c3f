import type { DaneEndpoint } from './dane-targets.js';

/**
 * Where to connect for a remote XMPP server. RFC 6120 §3.2.1 (SRV `_xmpp-server._tcp`, then the
 * domain itself on 5269 when there are none), XEP-0368 §3 (`_xmpps-server._tcp`: TLS from the
 * first byte; both record sets merged and ordered together), RFC 2782 (priority, then weighted
 * random order within a priority; a single record with target "." means "no service here").
 */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export interface ConnectTarget {
  host: string;
  port: number;
  /** XEP-0368: TLS from the first byte; otherwise STARTTLS (RFC 6120 §5). */
  directTls: boolean;
  /** From a DNSSEC-secure SRV answer (dane-targets.ts): `host` is then an address, and the certificate is checked with these. */
  dane?: DaneEndpoint;
}

export type SrvLookup =
  | { kind: 'targets'; targets: ConnectTarget[] }
  /** RFC 2782 / RFC 6120 §3.2.1 step 1: target "." — the domain offers no XMPP server. */
  | { kind: 'no-service' };

/** Default s2s port (RFC 6120 §14.7) when a domain publishes no SRV record. */
export const DEFAULT_S2S_PORT = 5269;

/**
 * Orders `_xmpps-server` (directTls) and `_xmpp-server` records into the list to try in turn.
 * `random` returns [0, 1); tests pass their own. When neither set has records, the domain itself
 * on `fallbackPort` (STARTTLS).
 */
export function orderTargets(
  domain: string,
  xmpps: SrvRecord[],
  xmpp: SrvRecord[],
  random: () => number = Math.random,
  fallbackPort = DEFAULT_S2S_PORT,
): SrvLookup {
  const all = [...xmpps.map((r) => ({ ...r, directTls: true })), ...xmpp.map((r) => ({ ...r, directTls: false }))];
  if (all.length === 0) return { kind: 'targets', targets: [{ host: domain, port: fallbackPort, directTls: false }] };
  const usable = all.filter((r) => !isDot(r.name));
  if (usable.length === 0) return { kind: 'no-service' };
  const byPriority = new Map<number, typeof usable>();
  for (const r of usable) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const targets: ConnectTarget[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    for (const r of weightedOrder(byPriority.get(priority)!, random)) targets.push({ host: stripDot(r.name), port: r.port, directTls: r.directTls });
  }
  return { kind: 'targets', targets };
}

/**
 * RFC 2782 "Usage rules": zero-weight records first in the list, then repeatedly pick one with
 * probability weight / remaining sum (a running sum over the list, a uniform number in
 * [0, sum]); zero-weight records are chosen only when the sum is 0 or they are reached.
 */
function weightedOrder<T extends { weight: number }>(records: T[], random: () => number): T[] {
  const left = [...records.filter((r) => r.weight === 0), ...records.filter((r) => r.weight !== 0)];
  const out: T[] = [];
  while (left.length > 0) {
    const sum = left.reduce((s, r) => s + r.weight, 0);
    const pick = Math.floor(random() * (sum + 1)); // uniform in [0, sum]
    let running = 0;
    let index = left.length - 1;
    for (let i = 0; i < left.length; i++) {
      running += left[i]!.weight;
      if (running >= pick) {
        index = i;
        break;
      }
    }
    out.push(left.splice(index, 1)[0]!);
  }
  return out;
}

const isDot = (name: string): boolean => name === '.' || name === '';
const stripDot = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name);
