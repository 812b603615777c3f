import { X509Certificate } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { children, readTlv, type Tlv } from '#libs/tls';

/**
 * The identities a certificate presents for an XMPP server (RFC 6120 §13.7.1.2, RFC 9525 §3):
 * DNS-IDs (subjectAltName dNSName), SRV-IDs (otherName SRVName, RFC 4985, e.g.
 * `_xmpp-server.example.com`) and XmppAddr (otherName id-on-xmppAddr, RFC 6120 §13.7.1.4). CN-IDs
 * are not collected: RFC 9525 §6.1 removed the common-name fallback.
 */
export interface PresentedIdentities {
  dns: string[];
  /** Service and domain of each SRV-ID, the service without its underscore, lower case. */
  srv: { service: string; domain: string }[];
  xmppAddr: string[];
}

const SAN_OID = Buffer.from('0603551d11', 'hex'); // 2.5.29.17
const XMPP_ADDR_OID = Buffer.from('06082b06010505070805', 'hex'); // 1.3.6.1.5.5.7.8.5
const SRV_NAME_OID = Buffer.from('06082b06010505070807', 'hex'); // 1.3.6.1.5.5.7.8.7

/** Reads the subjectAltName extension from DER; a certificate without one presents nothing. */
export function presentedIdentities(cert: X509Certificate | Buffer): PresentedIdentities {
  const der = Buffer.isBuffer(cert) ? cert : cert.raw;
  const out: PresentedIdentities = { dns: [], srv: [], xmppAddr: [] };
  const san = subjectAltNameValue(der);
  if (!san) return out;
  for (const name of children(der, readTlv(der, san.valueStart))) {
    if (name.tag === 0x82) out.dns.push(der.toString('latin1', name.valueStart, name.end).toLowerCase());
    else if (name.tag === 0xa0) otherName(der, name, out);
  }
  return out;
}

function otherName(der: Buffer, name: Tlv, out: PresentedIdentities): void {
  const [typeId, explicit] = children(der, name);
  if (!typeId || !explicit || explicit.tag !== 0xa0) return;
  const oid = der.subarray(typeId.start, typeId.end);
  const [value] = children(der, explicit);
  if (!value) return;
  const text = der.toString(value.tag === 0x0c ? 'utf8' : 'latin1', value.valueStart, value.end);
  if (oid.equals(XMPP_ADDR_OID) && value.tag === 0x0c) out.xmppAddr.push(text);
  else if (oid.equals(SRV_NAME_OID) && value.tag === 0x16) {
    // RFC 4985 §2: `_Service.Name`.
    const dot = text.indexOf('.');
    if (text.startsWith('_') && dot > 1) out.srv.push({ service: text.slice(1, dot).toLowerCase(), domain: text.slice(dot + 1).toLowerCase() });
  }
}

/** The OCTET STRING of the subjectAltName extension in tbsCertificate's [3] extensions, if any. */
function subjectAltNameValue(der: Buffer): Tlv | undefined {
  const [tbs] = children(der, readTlv(der, 0));
  if (!tbs) return undefined;
  const exts = children(der, tbs).find((t) => t.tag === 0xa3);
  if (!exts) return undefined;
  const [seq] = children(der, exts);
  if (!seq) return undefined;
  for (const ext of children(der, seq)) {
    const parts = children(der, ext);
    const id = parts[0];
    if (id && der.subarray(id.start, id.end).equals(SAN_OID)) return parts[parts.length - 1];
  }
  return undefined;
}

/**
 * RFC 9525 §6.2 / RFC 5891: compare domains as A-labels, lower case, without a trailing dot.
 * Undefined for anything that is not a host name (empty labels, over-long labels, other characters).
 */
export function canonicalDomain(domain: string): string | undefined {
  const trimmed = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  const ascii = domainToASCII(trimmed.toLowerCase());
  return ascii.length <= 253 && HOST_NAME.test(ascii) ? ascii : undefined;
}

const HOST_NAME = /^[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*$/;

/**
 * RFC 9525 §6.3: a DNS-ID matches the reference domain exactly, or with `*` as the complete
 * left-most label standing for exactly one label (never a partial label like `f*`, never the
 * apex, never an IDN A-label position since the label is the whole `*`).
 */
export function dnsIdMatches(presented: string, reference: string): boolean {
  const ref = canonicalDomain(reference);
  if (!ref) return false;
  if (!presented.startsWith('*.')) {
    const p = canonicalDomain(presented);
    return p !== undefined && p === ref;
  }
  const rest = canonicalDomain(presented.slice(2));
  if (!rest || !rest.includes('.')) return false; // `*.com` would cover a TLD
  const dot = ref.indexOf('.');
  return dot > 0 && ref.slice(dot + 1) === rest;
}

/** The SRV services that name an XMPP server: RFC 6120 §13.7.1.2.1 and XEP-0368 §4 (direct TLS). */
const XMPP_SERVER_SERVICES = new Set(['xmpp-server', 'xmpps-server']);

export type IdentityMatch = 'srv-id' | 'xmpp-addr' | 'dns-id';

/**
 * Does the certificate vouch for `domain` as an XMPP server? RFC 6120 §13.7.2.1 with RFC 9525
 * §6: SRV-IDs (`_xmpp-server` / `_xmpps-server`, the domain matched exactly, no wildcard: RFC
 * 9525 §6.4 lets only DNS-IDs carry one), then XmppAddr (the bare domain, exact), then DNS-IDs.
 * Returns which identity matched, or undefined.
 */
export function matchServerIdentity(ids: PresentedIdentities, domain: string): IdentityMatch | undefined {
  const ref = canonicalDomain(domain);
  if (!ref) return undefined;
  if (ids.srv.some((s) => XMPP_SERVER_SERVICES.has(s.service) && canonicalDomain(s.domain) === ref)) return 'srv-id';
  if (ids.xmppAddr.some((x) => canonicalDomain(x) === ref)) return 'xmpp-addr';
  if (ids.dns.some((d) => dnsIdMatches(d, ref))) return 'dns-id';
  return undefined;
}
