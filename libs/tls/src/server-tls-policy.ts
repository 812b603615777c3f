import { constants } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';

/**
 * TLS 1.2 suites we offer: forward-secret ECDHE with AEAD ciphers only (no CBC, no static RSA),
 * in our order of preference (Mozilla's "intermediate" profile without DHE). TLS 1.3 suites are
 * all AEAD; they are listed so the string names everything we offer.
 */
export const DEFAULT_TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * The options every server-side TLS context of Glider gets (direct TLS, STARTTLS, wss): the cipher
 * list, the server's order over the client's (honorCipherOrder), and no renegotiation at all
 * (SSL_OP_NO_RENEGOTIATION: a client's renegotiation request is refused, so it cannot be used to
 * make the server redo handshakes at the client's pace). docs/security.md.
 */
export function serverTlsPolicy(ciphers: string = DEFAULT_TLS_CIPHERS): SecureContextOptions {
  return {
    ciphers,
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}
