import type { X509Certificate } from 'node:crypto';
import type { DomainPolicy } from '#libs/federation';
import type { Element } from '#libs/xml';
import type { StreamContext } from '../edge.context.js';

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
}
