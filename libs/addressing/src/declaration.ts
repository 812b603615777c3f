import { SERVICE_NAME, type IqClaim, type ServiceDeclaration } from '#libs/bus';

// The shapes are generated from bus.proto (glider.bus.v1.ServiceDeclaration, IqClaim): a service
// declares what it serves — `domains: ['conference.example.com']`, `remoteDomains: true`, and so on —
// and a new service is a declaration, not an edit to the router.
export type { IqClaim, ServiceDeclaration } from '#libs/bus';

/** What a service passes to declare itself: everything but its name and instance is optional. */
export type Serves = Partial<Omit<ServiceDeclaration, 'service' | 'instance' | 'accountIq'>> & {
  /** An IQ claim's `features` may be left out (none). */
  accountIq?: (Omit<IqClaim, 'features'> & { features?: string[] })[];
};

export function declaration(service: string, instance: string, serves: Serves): ServiceDeclaration {
  const d: ServiceDeclaration = {
    service,
    instance,
    domains: [...(serves.domains ?? [])].map((x) => x.toLowerCase()),
    remoteDomains: serves.remoteDomains ?? false,
    accountPresence: serves.accountPresence ?? false,
    accountIq: (serves.accountIq ?? []).map((c) => ({ ns: c.ns, ownOnly: c.ownOnly, features: [...(c.features ?? [])] })),
    serverIq: [...(serves.serverIq ?? [])],
    discoFeatures: [...(serves.discoFeatures ?? [])],
    accountDiscoFeatures: [...(serves.accountDiscoFeatures ?? [])],
    accountIdentities: [...(serves.accountIdentities ?? [])],
    takesBatches: serves.takesBatches ?? false,
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
  if (d.accountIq.some((c) => (c.features ?? []).some((f) => !f))) return 'an empty disco feature in an IQ claim';
  if (d.accountIdentities.some((i) => !/^[^/]+\/[^/]+$/.test(i))) return 'an account identity is "category/type"';
  return undefined;
}
