import { partitionOf, subjects } from '#libs/bus';
import type { Address, AddressQuery, ServiceClaim } from './address.js';
import type { ServiceDeclaration } from './declaration.js';
import { TableIndex } from './table-index.js';

export interface AddressingTableOptions {
  /** The domains whose accounts live here (config `domains`). */
  localDomains: string[];
  /** `bus.partitions`: a service answer names the partition subject. */
  partitions: number;
}

/**
 * The addressing table: local domains plus what every live service declared. `resolve` is the
 * only place that decides where a stanza goes (RFC 6120 §10, RFC 6121 §8); router and presence
 * both ask it, and neither checks a domain or a namespace itself.
 */
export class AddressingTable {
  private readonly local: Set<string>;
  private readonly declarations = new Map<string, ServiceDeclaration>();
  private index = new TableIndex([]);

  constructor(private readonly opts: AddressingTableOptions) {
    this.local = new Set(opts.localDomains.map((d) => d.toLowerCase()));
  }

  /** Adds or replaces one instance's declaration (key: its KV key). */
  set(key: string, d: ServiceDeclaration): void {
    this.declarations.set(key, d);
    this.index = new TableIndex([...this.declarations.values()]);
  }

  delete(key: string): boolean {
    if (!this.declarations.delete(key)) return false;
    this.index = new TableIndex([...this.declarations.values()]);
    return true;
  }

  keys(): string[] {
    return [...this.declarations.keys()];
  }

  /** Live services, by name, with the instances declaring them. */
  services(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.declarations.values()) out.set(d.service, [...(out.get(d.service) ?? []), d.instance]);
    return out;
  }

  /** Claims two services both made (the first by name wins); logged by the directory. */
  conflicts(): string[] {
    return this.index.conflicts;
  }

  /** Disco#info features of everything the server runs now (XEP-0030). */
  discoFeatures(): string[] {
    return this.index.discoFeatures;
  }

  /** What a local account shows in disco#info besides its IQ namespaces (XEP-0163: pubsub/pep and its features). */
  accountDisco(): { identities: { category: string; type: string }[]; features: string[] } {
    const identities = this.index.accountIdentities.map((i) => ({ category: i.slice(0, i.indexOf('/')), type: i.slice(i.indexOf('/') + 1) }));
    return { identities, features: this.index.accountDiscoFeatures };
  }

  /** Domains some live service declared (conference.<domain>, upload.<domain>), sorted: XEP-0030 items of the server. */
  serviceDomains(): string[] {
    return [...this.index.domains.keys()].sort();
  }

  /**
   * The disco#info features of an account (XEP-0030), for its owner or for others: the IQ
   * namespaces some service answers there, and the features each claim names beside its namespace
   * (`urn:xmpp:mam:2#extended`, XEP-0313 §7).
   */
  accountNamespaces(forOwner: boolean): string[] {
    const out = new Set<string>();
    for (const [ns, c] of this.index.accountIq) {
      if (!forOwner && c.ownOnly) continue;
      out.add(ns);
      for (const f of c.features) out.add(f);
    }
    return [...out].sort();
  }

  /** The service holding a local account's presence (session events go there), if one runs. */
  presenceOf(account: string): Extract<Address, { kind: 'service' }> | undefined {
    return this.index.presence === undefined ? undefined : this.to(this.index.presence, 'account-presence', account);
  }

  resolve(q: AddressQuery): Address {
    // RFC 6121 §3, §4: a local account's presence is processed on the sender's side first (roster,
    // directed-presence list); its service then asks again with phase 'deliver'.
    if (q.phase === 'sent' && q.kind === 'presence' && this.local.has(q.from.domain)) {
      return this.service(this.index.presence, 'account-presence', q.from.bare().toString()) ?? unavailable('no presence service is running');
    }
    const domain = q.to.domain;
    // A local domain is the accounts' own: a service cannot take it over by declaring it.
    const owner = this.local.has(domain) ? undefined : this.index.domains.get(domain);
    if (owner) return this.to(owner, 'domain', q.to.bare().toString());
    if (!this.local.has(domain)) {
      // RFC 6120 §10.4: another domain; without a service carrying it there, §10.4.3.
      return this.service(this.index.remote, 'remote-domain', domain) ?? bounce('remote-server-not-found', `${domain} cannot be reached from here`);
    }
    return q.to.local ? this.account(q) : this.server(q);
  }

  /** RFC 6120 §10.3 (the server itself), §8.4 (an IQ nobody here understands). */
  private server(q: AddressQuery): Address {
    if (q.kind === 'presence') return drop('presence to the server itself');
    if (q.kind === 'message') {
      if (q.type === 'error' || q.type === 'headline' || q.type === 'groupchat') return drop(`${q.type} message to the server`);
      return unavailable('the server takes no messages');
    }
    const unasked = iqNobodyAsked(q);
    if (unasked) return unasked;
    if (q.ns === undefined) return bounce('bad-request', 'an IQ get or set has exactly one payload (RFC 6120 §8.2.3)');
    return this.service(this.index.serverIq.get(q.ns), 'server-iq', q.from.bare().toString()) ?? unavailable(`${q.ns} is not served here`);
  }

  /** RFC 6121 §8.5: a local account (bare or full JID). */
  private account(q: AddressQuery): Address {
    const account = q.to.bare().toString();
    if (q.kind === 'presence') return this.service(this.index.presence, 'account-presence', account) ?? drop('no presence service is running');
    if (q.kind === 'message' || q.to.resource) return { kind: 'account', account };
    // §8.5.2.1.3 / §8.5.2.2.3: an IQ to a bare JID is answered by the server on the account's behalf.
    const unasked = iqNobodyAsked(q);
    if (unasked) return unasked;
    if (q.ns === undefined) return bounce('bad-request', 'an IQ get or set has exactly one payload (RFC 6120 §8.2.3)');
    const own = q.from.bare().toString() === account;
    const claim = this.index.accountIq.get(q.ns);
    return (
      this.service(claim && (own || !claim.ownOnly) ? claim.service : undefined, 'account-iq', account) ?? unavailable(`${q.ns} is not served on this account`)
    );
  }

  private service(name: string | undefined, claim: ServiceClaim, key: string): Address | undefined {
    return name === undefined ? undefined : this.to(name, claim, key);
  }

  private to(service: string, claim: ServiceClaim, partitionKey: string): Extract<Address, { kind: 'service' }> {
    const subject = subjects.serviceIn(service, partitionOf(partitionKey, this.opts.partitions));
    return { kind: 'service', service, claim, partitionKey, subject, batches: this.index.batches.has(service) };
  }
}

/** RFC 6120 §8.2.3: results and errors to the server or an account answer nothing it asked; other types are bad requests. */
function iqNobodyAsked(q: AddressQuery): Address | undefined {
  if (q.type === 'result' || q.type === 'error') return drop(`iq ${q.type} that nobody asked for`);
  if (q.type !== 'get' && q.type !== 'set') return bounce('bad-request', `iq type "${q.type}"`);
  return undefined;
}

const bounce = (condition: 'remote-server-not-found' | 'service-unavailable' | 'bad-request', text: string): Address => ({ kind: 'bounce', condition, text });
const unavailable = (text: string): Address => bounce('service-unavailable', text);
const drop = (why: string): Address => ({ kind: 'drop', why });
