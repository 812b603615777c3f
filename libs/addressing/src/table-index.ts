import type { ServiceDeclaration } from './declaration.js';

/**
 * The lookup structures of the table, rebuilt whenever a declaration comes or goes (rare). Several
 * instances of one service merge; when two services claim the same thing, the first by name wins
 * and the clash is listed in `conflicts`.
 */
export class TableIndex {
  presence: string | undefined;
  remote: string | undefined;
  readonly domains = new Map<string, string>();
  readonly serverIq = new Map<string, string>();
  readonly accountIq = new Map<string, { service: string; ownOnly: boolean; features: string[] }>();
  readonly discoFeatures: string[];
  /** Features and `category/type` identities a local account shows in disco#info (PEP: pubsub/pep). */
  readonly accountDiscoFeatures: string[];
  readonly accountIdentities: string[];
  readonly conflicts: string[] = [];
  /**
   * Services every live instance of which takes a DeliveryBatch (`takesBatches`): during a rolling
   * upgrade an instance that does not yet keeps its service out, and stanzas go to it one by one.
   */
  readonly batches = new Set<string>();

  constructor(declarations: ServiceDeclaration[]) {
    const sorted = [...declarations].sort((a, b) => a.service.localeCompare(b.service) || a.instance.localeCompare(b.instance));
    const disco = new Set<string>();
    const accountDisco = new Set<string>();
    const identities = new Set<string>();
    const noBatches = new Set<string>();
    for (const d of sorted) {
      if (d.takesBatches) this.batches.add(d.service);
      else noBatches.add(d.service);
      if (d.accountPresence) this.presence = this.claim(this.presence, d.service, 'account presence');
      if (d.remoteDomains) this.remote = this.claim(this.remote, d.service, 'remote domains');
      for (const domain of d.domains) this.domains.set(domain, this.claim(this.domains.get(domain), d.service, `domain ${domain}`));
      for (const ns of d.serverIq) this.serverIq.set(ns, this.claim(this.serverIq.get(ns), d.service, `server iq ${ns}`));
      for (const c of d.accountIq) this.addAccountIq(d.service, c.ns, c.ownOnly, c.features ?? []);
      for (const f of d.discoFeatures) disco.add(f);
      for (const f of d.accountDiscoFeatures) accountDisco.add(f);
      for (const i of d.accountIdentities) identities.add(i);
    }
    for (const s of noBatches) this.batches.delete(s);
    this.discoFeatures = [...disco].sort();
    this.accountDiscoFeatures = [...accountDisco].sort();
    this.accountIdentities = [...identities].sort();
  }

  private claim(current: string | undefined, service: string, what: string): string {
    if (current === undefined || current === service) return service;
    this.conflicts.push(`${what}: claimed by ${current} and ${service}; ${current} serves it`);
    return current;
  }

  private addAccountIq(service: string, ns: string, ownOnly: boolean, features: string[]): void {
    const current = this.accountIq.get(ns);
    if (!current) this.accountIq.set(ns, { service, ownOnly, features: [...features] });
    else if (current.service === service) {
      // instances merge: the widest scope, and only the features every instance has (an instance
      // of an older version must not be promised what it does not do, XEP-0030)
      current.ownOnly &&= ownOnly;
      current.features = current.features.filter((f) => features.includes(f));
    } else this.claim(current.service, service, `account iq ${ns}`);
  }
}
