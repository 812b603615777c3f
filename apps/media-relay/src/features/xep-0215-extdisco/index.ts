import { NS } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { MediaContext } from '../../media-relay.context.js';
import { issueTurnCredential, servingTurn } from '../rfc8656-turn/index.js';
import { registerExtdisco } from './extdisco.handlers.js';

/**
 * XEP-0215 External Service Discovery 1.0.0 on the server's own domain: the STUN/TURN services of
 * the relay this instance runs (../rfc8656-turn), with TURN REST API credentials. Registers (and so
 * declares `urn:xmpp:extdisco:2` in disco, §5) only while that relay is listening.
 */
export const extdiscoFeature: FeatureDefinition<MediaContext> = {
  name: 'extdisco',
  spec: { xep: 215, version: '1.0.0' },
  discoFeatures: [NS.extdisco],
  dependsOn: ['turn'],
  setup: (ctx) => {
    const turn = servingTurn(ctx);
    if (!turn) return [];
    // What clients are told to reach: the public address, else media's public name, else the relay's own address.
    const host = turn.config.publicAddress ?? ctx.config.media.publicHost ?? turn.server.relayAddress.announced;
    return registerExtdisco(ctx.serverIq, ctx.config.domains, {
      host,
      ports: turn.server.ports,
      issue: (user) => issueTurnCredential(turn.secret.current(), user, turn.config.credentialTtlSec),
    });
  },
};
