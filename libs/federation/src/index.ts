export { presentedIdentities, matchServerIdentity, dnsIdMatches, canonicalDomain, type PresentedIdentities, type IdentityMatch } from './cert-identities.js';
export { verifyChain, acceptableServerPurpose, parsePemBundle, type ChainVerdict } from './peer-certificate.js';
export { dialbackKey, dialbackKeyValid } from './dialback-key.js';
export { orderTargets, DEFAULT_S2S_PORT, type SrvRecord, type ConnectTarget, type SrvLookup } from './srv-targets.js';
export { usableTlsa, tlsaMatches, tlsaFor, tlsaText, TLSA_USAGE, TLSA_USAGE_NAME, type Tlsa } from './tlsa.js';
export { verifyWithTlsa, verifyPkix, type DaneVerdict } from './dane-verify.js';
export { daneTargets, type DnsLookup, type DnsResult, type DaneEndpoint, type DaneTargets } from './dane-targets.js';
export { PolicySource, type PolicySourceOptions } from './policy-source.js';
export { DomainPolicy, type PolicyMode, type PolicySettings, type PolicyDecision } from './domain-policy.js';
/** Tests: a CA issuing XMPP server certificates (openssl CLI). */
export { makeFederationPki, xmppServerSans, type FederationPki, type IssuedCertificate, type IssueOptions } from './testing/federation-pki.js';
