import type { TLSSocket } from 'node:tls';
import { serverEndPointBinding } from '#libs/tls';
import type { ChannelBindings } from './transport.js';

/**
 * The channel bindings a TLS connection offers SCRAM-PLUS (XEP-0440): tls-exporter (RFC 9266,
 * TLS 1.3 only: 1.2 lacks the extended master secret guarantee) and tls-server-end-point (RFC 5929
 * §4.1). Which types exist is known at once (the features list them); the data is computed the first
 * time a -PLUS exchange reads it and kept, since it does not change for the connection. Most logins
 * never read it, and taking the certificate (getX509Certificate) and hashing it cost a login ~0.1 ms.
 * A server socket always has our certificate, so tls-server-end-point is always offered.
 */
export function tlsChannelBindings(tls: TLSSocket): ChannelBindings {
  const out: ChannelBindings = {};
  if (tls.getProtocol() === 'TLSv1.3') {
    once(out, 'tls-exporter', () => tls.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)));
  }
  once(out, 'tls-server-end-point', () => {
    const raw = tls.getX509Certificate()?.raw;
    return raw ? serverEndPointBinding(raw) : undefined;
  });
  return out;
}

/** An enumerable property computed on first read (Object.keys lists it without computing it). */
function once(target: ChannelBindings, key: keyof ChannelBindings, compute: () => Buffer | undefined): void {
  let value: Buffer | undefined;
  let computed = false;
  Object.defineProperty(target, key, {
    enumerable: true,
    get: () => {
      if (!computed) {
        value = compute();
        computed = true;
      }
      return value;
    },
  });
}
