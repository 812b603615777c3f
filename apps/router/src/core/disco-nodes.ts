import type { StanzaError } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { Registration } from '#libs/xmpp-kit';
import type { IqRequest } from './iq-dispatcher.js';

/** What a feature answers for a disco node of the server (XEP-0030 §3.2, §4.2). */
export interface DiscoNodeProvider {
  /** True for the nodes this provider answers (e.g. the XEP-0050 commands node and each command). */
  matches(node: string): boolean;
  /** The <query/> for disco#info at `node`, or an error (item-not-found, forbidden). */
  info(node: string, req: IqRequest): Promise<Element | StanzaError>;
  items(node: string, req: IqRequest): Promise<Element | StanzaError>;
}

/**
 * Server disco nodes and extended info forms by owner: the disco feature answers a request with a `node` attribute from
 * the provider that matches it, so features such as ad-hoc commands add nodes without editing disco.
 */
export class DiscoNodes {
  private readonly providers = new Set<DiscoNodeProvider>();
  private readonly forms = new Set<(domain: string) => Element | undefined>();

  /** Adds an extended-information form (XEP-0128) to the server's own disco#info, per domain. */
  registerInfoForm(form: (domain: string) => Element | undefined): Registration {
    this.forms.add(form);
    return () => this.forms.delete(form);
  }

  infoForms(domain: string): Element[] {
    return [...this.forms].map((f) => f(domain)).filter((x): x is Element => x !== undefined);
  }

  register(provider: DiscoNodeProvider): Registration {
    this.providers.add(provider);
    return () => this.providers.delete(provider);
  }

  find(node: string): DiscoNodeProvider | undefined {
    for (const p of this.providers) if (p.matches(node)) return p;
    return undefined;
  }
}
