import { SERVICE_NAME } from '#libs/bus';

/** An IQ namespace a service answers on a local bare account. */
export interface IqClaim {
  ns: string;
  /** Only on the sender's own account (the roster, RFC 6121 §2.1.3); else on anyone's. */
  ownOnly: boolean;
}

/**
 * What a service serves, declared by each of its instances when it starts (proto
 * `glider.bus.v1.ServiceDeclaration`). A new service (MUC, upload, s2s) is a declaration, not an
 * edit to the router: `domains: ['conference.example.com']`, `remoteDomains: true`, and so on.
 */
export interface ServiceDeclaration {
  /** A subject token: the service consumes `subjects.serviceIn(service, partition)`. */
  service: string;
  instance: string;
  /** Domains served entirely (every stanza to them), e.g. `conference.example.com`. */
  domains: string[];
  /** Carries stanzas to domains nobody here serves (s2s; the allow-list is its own business). */
  remoteDomains: boolean;
  /** Presence from local accounts (before it is delivered) and to them (RFC 6121 §3, §4). */
  accountPresence: boolean;
  /** IQ namespaces answered on a local bare account (RFC 6121 §8.5.2.1.3). */
  accountIq: IqClaim[];
  /** IQ namespaces answered on a local domain itself (RFC 6120 §10.3, §8.4). */
  serverIq: string[];
  /** Added to the server's disco#info (XEP-0030). */
  discoFeatures: string[];
}

/** What a service passes to declare itself: everything but its name and instance is optional. */
export type Serves = Partial<Omit<ServiceDeclaration, 'service' | 'instance'>>;

export function declaration(service: string, instance: string, serves: Serves): ServiceDeclaration {
  const d: ServiceDeclaration = {
    service,
    instance,
    domains: [...(serves.domains ?? [])].map((x) => x.toLowerCase()),
    remoteDomains: serves.remoteDomains ?? false,
    accountPresence: serves.accountPresence ?? false,
    accountIq: [...(serves.accountIq ?? [])],
    serverIq: [...(serves.serverIq ?? [])],
    discoFeatures: [...(serves.discoFeatures ?? [])],
  };
  const problem = invalid(d);
  if (problem) throw new Error(`service declaration of ${service}/${instance}: ${problem}`);
  return d;
}

/** Why a declaration (ours, or one read from the bus) cannot be used, or undefined. */
export function invalid(d: ServiceDeclaration): string | undefined {
  if (!SERVICE_NAME.test(d.service)) return `service name "${d.service}" is not a lower-case subject token`;
  if (!d.instance) return 'no instance id';
  if (d.domains.some((x) => !x || x.includes('@') || x.includes('/'))) return 'a domain must be a bare domain name';
  if (d.accountIq.some((c) => !c.ns) || d.serverIq.some((ns) => !ns)) return 'an IQ claim without a namespace';
  return undefined;
}
