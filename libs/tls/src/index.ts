export { loadOrCreateCertificate, readPair, type LoadedCertificate, type CertLogger } from './certificate.js';
export { generateSelfSigned, selfSignedNames } from './self-signed.js';
export { watchCertificate, DEFAULT_CERT_POLL_MS, DEFAULT_CERT_DEBOUNCE_MS, type CertificateWatch, type WatchOptions } from './watch-certificate.js';
export { serverEndPointBinding } from './channel-binding.js';
export { serverTlsPolicy, DEFAULT_TLS_CIPHERS } from './server-tls-policy.js';
export { OcspStapler, type OcspStaplerOptions } from './ocsp-stapler.js';
export { readTlv, children, encodeTlv, type Tlv } from './der.js';
export { buildOcspRequest, ocspUrlOf, isSuccessfulOcspResponse } from './ocsp-request.js';
/** Tests: a throwaway CA, a server certificate with an AIA OCSP URL, and openssl's responder. */
export { makeTestPki, type TestPki } from './testing/test-pki.js';
