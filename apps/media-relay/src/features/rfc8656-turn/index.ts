import type { SecureContextOptions } from 'node:tls';
import type { TurnConfig } from '#libs/config';
import { loadOrCreateCertificate, serverTlsPolicy, watchCertificate, type CertificateWatch } from '#libs/tls';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { MediaContext } from '../../media-relay.context.js';
import { TurnSecret, turnSecretPath } from './credentials.js';
import { startTurnServer, type TurnServer } from './turn-server.js';
import { registerTurnMetrics } from './turn.metrics.js';

export { issueTurnCredential, checkTurnUsername, TurnSecret, turnSecretPath, type TurnRestCredential } from './credentials.js';
export { startTurnServer, type TurnServer, type TurnServerOptions } from './turn-server.js';

/** The relay this media-relay instance runs, for features that hand out its address (XEP-0215). */
export interface ServingTurn {
  server: TurnServer;
  secret: TurnSecret;
  config: TurnConfig;
  realm: string;
}

const serving = new WeakMap<MediaContext, ServingTurn>();

/** Set once the relay listens, cleared when its feature stops; undefined when TURN is off. */
export function servingTurn(ctx: MediaContext): ServingTurn | undefined {
  return serving.get(ctx);
}

/**
 * STUN/TURN relay (RFC 8489, RFC 8656) of media-relay: listens on `media.turn` ports when
 * `media.enabled` and `media.turn.enabled`. It serves no XMPP stanza itself (XEP-0215 in
 * xep-0215-extdisco hands out its address and credentials), so it advertises nothing.
 */
export const turnFeature: FeatureDefinition<MediaContext> = {
  name: 'turn',
  spec: { rfc: 8656 },
  setup: async (ctx) => {
    const turn = ctx.config.media.turn;
    if (!turn.enabled) return [];
    const secret = new TurnSecret(turnSecretPath({ dataDir: ctx.config.dataDir, sharedSecretFile: turn.sharedSecretFile }));
    const realm = turn.realm ?? ctx.config.domains[0]!;
    let tls: SecureContextOptions | undefined;
    let watch: CertificateWatch | undefined;
    const tlsOptions = (pair: { key: string; cert: string }): SecureContextOptions => ({
      key: pair.key,
      cert: pair.cert,
      minVersion: ctx.config.tls.minVersion,
      ...serverTlsPolicy(ctx.config.tls.ciphers),
    });
    const cert = turn.transports.includes('tls') ? await loadOrCreateCertificate(ctx.config, ctx.logger) : undefined;
    if (cert) tls = tlsOptions(cert);
    const server = await startTurnServer(turn, { secret: () => secret.current(), realm, tls, logger: ctx.logger });
    if (cert && ctx.config.tls.watch) {
      // a rotated certificate (Kubernetes Secret) serves new TLS handshakes; open connections keep theirs
      watch = watchCertificate(cert, (pair) => server.setSecureContext(tlsOptions(pair)), {
        onError: (err) => ctx.logger.warn({ err: err.message }, 'TURN certificate watch problem'),
      });
    }
    serving.set(ctx, { server, secret, config: turn, realm });
    const unregisterMetrics = registerTurnMetrics(server);
    return [
      () => {
        serving.delete(ctx);
        unregisterMetrics();
        watch?.stop();
        void server.close();
      },
    ];
  },
};
