export { loadOrCreateCertificate, readPair, type LoadedCertificate, type CertLogger } from './certificate.js';
export { generateSelfSigned, selfSignedNames } from './self-signed.js';
export { watchCertificate, DEFAULT_CERT_POLL_MS, DEFAULT_CERT_DEBOUNCE_MS, type CertificateWatch, type WatchOptions } from './watch-certificate.js';
export { serverEndPointBinding } from './channel-binding.js';
