import { xml, type TestClient, type XmppElement } from '../xmpp-client.js';
import type { IceServer } from './browser-peer.js';

export const EXTDISCO_NS = 'urn:xmpp:extdisco:2';

export interface DiscoveredService {
  type: string;
  host: string;
  port: number;
  transport?: string;
  restricted: boolean;
  username?: string;
  password?: string;
  expires?: string;
}

/** What a client does before a call (XEP-0215 §3.1/§3.2): ask its server for external services. */
export async function discoverServices(client: TestClient, domain: string, type?: string): Promise<DiscoveredService[]> {
  const res = await client.iq(xml('iq', { to: domain, type: 'get' }, xml('services', { xmlns: EXTDISCO_NS, ...(type ? { type } : {}) })));
  return (res.getChild('services', EXTDISCO_NS)?.getChildren('service') ?? []).map(readService);
}

export function readService(s: XmppElement): DiscoveredService {
  const a = s.attrs;
  return {
    type: a.type ?? '',
    host: a.host ?? '',
    port: Number(a.port),
    restricted: a.restricted === '1' || a.restricted === 'true',
    ...(a.transport ? { transport: a.transport } : {}),
    ...(a.username ? { username: a.username } : {}),
    ...(a.password ? { password: a.password } : {}),
    ...(a.expires ? { expires: a.expires } : {}),
  };
}

/** RTCIceServer entries for TURN services of `transport` (RFC 7065 URIs), with their credentials. */
export function turnIceServers(services: DiscoveredService[], transport: 'udp' | 'tcp'): IceServer[] {
  return services
    .filter((s) => s.type === 'turn' && s.transport === transport && s.username && s.password)
    .map((s) => ({ urls: [`turn:${s.host}:${s.port}?transport=${transport}`], username: s.username!, credential: s.password! }));
}
