import { NS, StanzaError } from '#libs/stanza';
import { Element, xml } from '#libs/xml';
import { IqDispatcher, type IqDispatchLogger } from '#libs/xmpp-kit';
import type { ComponentHandle, MediaComponent, MediaIqRequest } from '../media-relay.context.js';

interface Entry {
  component: MediaComponent;
  iq: IqDispatcher<MediaIqRequest>;
}

/** What a component domain resolves to: its entry and the local domain it belongs to. */
export interface ComponentMatch {
  component: MediaComponent;
  iq: IqDispatcher<MediaIqRequest>;
  domain: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The component domains features added (`<label>.<domain>` for each local domain), each with its
 * own IQ dispatcher on which XEP-0030 disco#info and disco#items are answered from what the
 * component declares: identity, features and XEP-0128 forms.
 */
export class Components {
  private readonly byLabel = new Map<string, Entry>();

  constructor(
    private readonly localDomains: string[],
    private readonly log: IqDispatchLogger,
  ) {}

  add(component: MediaComponent): ComponentHandle {
    if (!LABEL.test(component.label)) throw new Error(`media component label "${component.label}" is not a DNS label`);
    if (this.byLabel.has(component.label)) throw new Error(`media component ${component.label} is added twice`);
    const iq = new IqDispatcher<MediaIqRequest>(this.log);
    iq.register('get', NS.discoInfo, (req) => this.info(component, req), { server: true }, 'disco');
    iq.register(
      'get',
      NS.discoItems,
      (req) => (req.payload.attrs.node ? new StanzaError('item-not-found') : xml('query', { xmlns: NS.discoItems })),
      { server: true },
      'disco',
    );
    const entry = { component, iq };
    this.byLabel.set(component.label, entry);
    return { iq, remove: () => void (this.byLabel.get(component.label) === entry && this.byLabel.delete(component.label)) };
  }

  /** Every component domain, for the service's declaration. */
  domains(): string[] {
    return [...this.byLabel.keys()].flatMap((label) => this.localDomains.map((d) => `${label}.${d}`)).sort();
  }

  /** The component serving `domain` (upload.example.com), if any. */
  match(domain: string): ComponentMatch | undefined {
    const dot = domain.indexOf('.');
    if (dot < 0) return undefined;
    const entry = this.byLabel.get(domain.slice(0, dot));
    const local = domain.slice(dot + 1);
    if (!entry || !this.localDomains.includes(local)) return undefined;
    return { ...entry, domain: local };
  }

  /** XEP-0030 §3.1 info of the component itself; a node nobody defined → item-not-found (§7). */
  private info(c: MediaComponent, req: MediaIqRequest): Element | StanzaError {
    if (req.payload.attrs.node) return new StanzaError('item-not-found');
    const query = new Element('query', { xmlns: NS.discoInfo });
    query.append(xml('identity', { ...c.identity }));
    for (const f of [...new Set([NS.discoInfo, NS.discoItems, ...c.discoFeatures])].sort()) query.append(xml('feature', { var: f }));
    for (const form of c.infoForms?.(req.domain) ?? []) query.append(form);
    return query;
  }
}
