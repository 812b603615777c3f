import { NS, StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { TurnRestCredential } from '../rfc8656-turn/credentials.js';

/**
 * One `<service/>` of XEP-0215 §2 (attributes table): what a client needs to use the relay.
 * `restricted` services need the credentials the server hands out (§3.3); `type` is from the
 * registry of §9.3 (`stun`, `turn`) plus `turns` (TURN over TLS, RFC 8656 §3.1) as clients use it.
 */
export interface ExternalService {
  type: 'stun' | 'turn' | 'turns';
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  restricted: boolean;
}

/** Where the running relay listens, as it reported once listening. */
export interface ServingRelay {
  /** The host clients are told (a DNS name or the relay's public address). */
  host: string;
  ports: { udp?: number; tcp?: number; tls?: number };
}

/** The services the running relay offers: STUN and TURN on UDP, TURN on TCP, TURN over TLS. */
export function servicesOf(relay: ServingRelay): ExternalService[] {
  const { host, ports } = relay;
  const out: ExternalService[] = [];
  if (ports.udp) out.push({ type: 'stun', host, port: ports.udp, transport: 'udp', restricted: false });
  if (ports.udp) out.push({ type: 'turn', host, port: ports.udp, transport: 'udp', restricted: true });
  if (ports.tcp) out.push({ type: 'turn', host, port: ports.tcp, transport: 'tcp', restricted: true });
  if (ports.tls) out.push({ type: 'turns', host, port: ports.tls, transport: 'tcp', restricted: true });
  return out;
}

/** XEP-0082 DateTime in UTC without fractions (XEP-0215 §2: `expires` MUST be UTC). */
export function xep0082(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A `<service/>`, with the credential when the service is restricted. */
export function serviceElement(s: ExternalService, cred: TurnRestCredential | undefined): Element {
  const attrs: Record<string, string> = { type: s.type, host: s.host, port: String(s.port), transport: s.transport };
  if (s.restricted) {
    attrs.restricted = '1';
    if (cred) Object.assign(attrs, { username: cred.username, password: cred.password, expires: xep0082(cred.expiresAt) });
  }
  return xml('service', attrs);
}

/**
 * §3.1 / §3.2: every service, or those of the requested `type` (the answer echoes the type). One
 * credential serves all restricted services: they are one relay with one shared secret.
 */
export function servicesAnswer(services: ExternalService[], request: Element, issue: () => TurnRestCredential): Element {
  const type = request.attr('type');
  const chosen = type === undefined ? services : services.filter((s) => s.type === type);
  const cred = chosen.some((s) => s.restricted) ? issue() : undefined;
  return xml('services', { xmlns: NS.extdisco, ...(type !== undefined ? { type } : {}) }, ...chosen.map((s) => serviceElement(s, cred)));
}

/**
 * §3.3: credentials for the service named by `host` and `type` (MUST) and `port` (MAY). Several
 * may match (same host and type on several ports), all are returned. None: item-not-found.
 */
export function credentialsAnswer(services: ExternalService[], request: Element, issue: () => TurnRestCredential): Element | StanzaError {
  const wanted = request.getChildren('service');
  if (wanted.length === 0) return new StanzaError('bad-request', { text: 'XEP-0215 §3.3: <credentials/> must contain a <service/> naming host and type' });
  const matches: ExternalService[] = [];
  for (const w of wanted) {
    const host = w.attr('host');
    const type = w.attr('type');
    const port = w.attr('port');
    if (!host || !type) return new StanzaError('bad-request', { text: 'XEP-0215 §3.3: the <service/> must include host and type' });
    if (port !== undefined && !/^\d{1,5}$/.test(port)) return new StanzaError('bad-request', { text: `port "${port}" is not a port number` });
    const found = services.filter((s) => s.host === host && s.type === type && (port === undefined || s.port === Number(port)));
    if (found.length === 0) return new StanzaError('item-not-found', { text: `no ${type} service at ${host}${port ? ':' + port : ''}` });
    for (const f of found) if (!matches.includes(f)) matches.push(f);
  }
  const cred = matches.some((s) => s.restricted) ? issue() : undefined;
  return xml('credentials', { xmlns: NS.extdisco }, ...matches.map((s) => serviceElement(s, cred)));
}
