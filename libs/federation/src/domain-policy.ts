import { canonicalDomain } from './cert-identities.js';

/**
 * Which remote domains may federate with us (issue 13, docs/federation.md "Policy"):
 * - `open`: every domain, except the deny list;
 * - `allowlist` (default): only the allow list, minus the deny list;
 * - `closed`: none.
 * An entry is a domain (`partner.example`) or `*.partner.example` (its subdomains, not itself).
 * The deny list wins over the allow list. The same answer applies both ways: a refused domain gets
 * nothing from us (outgoing: `remote-server-not-found`) and sends nothing to us (incoming:
 * `policy-violation` on its stream, XEP-0220 / RFC 6120 §4.9.3.18).
 */
export type PolicyMode = 'open' | 'allowlist' | 'closed';

export interface PolicySettings {
  mode: PolicyMode;
  allow: string[];
  deny: string[];
  /** XEP-0220 dialback for allowed domains whose certificate does not validate (s2s.policy.dialback). */
  dialback?: boolean;
}

export type PolicyDecision = { allowed: true } | { allowed: false; why: 'denied' | 'not-on-allowlist' | 'federation-closed' | 'bad-domain' };

export class DomainPolicy {
  private readonly allow: DomainSet;
  private readonly deny: DomainSet;

  constructor(readonly settings: PolicySettings) {
    this.allow = new DomainSet(settings.allow);
    this.deny = new DomainSet(settings.deny);
  }

  decide(domain: string): PolicyDecision {
    const d = canonicalDomain(domain);
    if (!d) return { allowed: false, why: 'bad-domain' };
    if (this.settings.mode === 'closed') return { allowed: false, why: 'federation-closed' };
    if (this.deny.has(d)) return { allowed: false, why: 'denied' };
    if (this.settings.mode === 'allowlist' && !this.allow.has(d)) return { allowed: false, why: 'not-on-allowlist' };
    return { allowed: true };
  }

  allows(domain: string): boolean {
    return this.decide(domain).allowed;
  }

  /** Dialback may authenticate `domain` (or us to it): the policy allows the domain and dialback is on. */
  dialbackFor(domain: string): boolean {
    return this.settings.dialback === true && this.allows(domain);
  }
}

class DomainSet {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(entries: string[]) {
    for (const entry of entries) {
      if (entry.startsWith('*.')) {
        const rest = canonicalDomain(entry.slice(2));
        if (rest) this.suffixes.push(`.${rest}`);
      } else {
        const d = canonicalDomain(entry);
        if (d) this.exact.add(d);
      }
    }
  }

  has(domain: string): boolean {
    return this.exact.has(domain) || this.suffixes.some((s) => domain.endsWith(s));
  }
}
