export { freePort, relayPortBlock } from './free-port.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export { tempDir, type TempDir } from './temp-dir.js';
export { accepts, natsServerBinary, startNatsServer, type NatsServer, type NatsServerOptions } from './nats-server.js';
export { coturnBinary, startCoturn, stunBindingAnswered, type Coturn, type CoturnOptions } from './coturn.js';
export { slapdBinary, startSlapd, type Slapd, type SlapdOptions } from './slapd.js';
export { startOidcProvider, type TestOidcProvider, type OidcClientSpec } from './oidc-provider.js';
export { startValidatingResolver, unboundBinary, type ValidatingResolver, type ValidatingResolverOptions, type ZoneSpec } from './unbound.js';
