import type { X509Certificate } from 'node:crypto';
import type { DnsLookup, DomainPolicy } from '#libs/federation';
import type { Element } from '#libs/xml';
import type { StreamContext } from '../edge.context.js';
import type { VerifyOutcome } from './dialback.codec.js';

/** XEP-0220 as the Receiving and the Authoritative Server (s2s.server.ts; tests bring their own). */
export interface DialbackDeps {
  /** The XEP-0185 secrets every edge of this deployment shares (dialback-secret.ts): new keys use the first. */
  secrets(): string[];
  /** Step 2-3: asks the Authoritative Server of `sender` about `key`, over a connection of its own. */
  verify(req: { sender: string; target: string; id: string; key: string }): Promise<VerifyOutcome>;
}

/** What s2s streams need besides the stream core's context. */
export interface S2sContext extends StreamContext {
  /** The live federation policy (libs/federation PolicySource). */
  policy(): DomainPolicy;
  /** Trust anchors for peer certificates (`s2s.trustFile`, or Node's public roots). */
  anchors(): X509Certificate[];
  /** A stanza from an authenticated peer domain, its addresses checked; the caller routes it. */
  onRemoteStanza(el: Element, pair: { local: string; remote: string }): void | Promise<void>;
  /** A refusal worth counting and logging once (policy, certificate, addressing). */
  refused?(direction: 'in' | 'out', remote: string, why: string): void;
  /** DANE lookups over `s2s.dane.resolver` (dane-lookup.ts); absent: DANE off. */
  dane?: DnsLookup;
  /** Dialback's keys and verifications; absent: dialback is never used (whatever the policy says). */
  dialback?: DialbackDeps;
  /**
   * Domains our services declared in the addressing table (`conference.<domain>`, XEP-0045): peers
   * address them (stream headers, stanzas, dialback) and they send as ours, like `config.domains`.
   */
  serviceDomains?(): readonly string[];
  /** A peer domain authenticated an inbound stream (SASL EXTERNAL or dialback): its server is up. */
  peerReachable?(remote: string): void;
}

/** Our domains on s2s: the accounts' (`config.domains`) and those our services declared (muc, upload). */
export function ourDomains(ctx: S2sContext): string[] {
  const services = ctx.serviceDomains?.() ?? [];
  return services.length === 0 ? ctx.config.domains : [...ctx.config.domains, ...services];
}

/** `domain` (canonical) is one of ours on s2s (ourDomains). */
export function isOurDomain(ctx: S2sContext, domain: string): boolean {
  return ctx.config.domains.includes(domain) || (ctx.serviceDomains?.().includes(domain) ?? false);
}
