import type { TLSSocket } from 'node:tls';
import { serverEndPointBinding } from '#libs/tls';
import type { ChannelBindings } from './transport.js';

/**
 * The channel bindings a TLS connection offers SCRAM-PLUS (XEP-0440): tls-exporter (RFC 9266,
 * TLS 1.3 only: 1.2 lacks the extended master secret guarantee) and tls-server-end-point (RFC 5929
 * §4.1). Read once per connection: they do not change, and the certificate is taken as DER, not
 * converted into the object getCertificate() builds (which showed up in login profiles).
 */
export function tlsChannelBindings(tls: TLSSocket): ChannelBindings {
  const out: ChannelBindings = {};
  if (tls.getProtocol() === 'TLSv1.3') out['tls-exporter'] = tls.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  const raw = tls.getX509Certificate()?.raw;
  if (raw) out['tls-server-end-point'] = serverEndPointBinding(raw);
  return out;
}
