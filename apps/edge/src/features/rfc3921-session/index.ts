import { xml } from '#libs/xml';
import { iqResult } from '#libs/stanza';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';

/**
 * Legacy session establishment (RFC 3921 §3, kept optional by RFC 6121 and
 * draft-cridland-xmpp-session): advertised with <optional/>, answered with a result, a no-op.
 */
export const sessionFeature: EdgeFeature = {
  name: 'session',
  spec: { rfc: 3921, section: '3' },
  dependsOn: ['bind'],
  setup: ({ hooks }) => [
    hooks.on(
      'stream-features',
      ({ stream, features }) => {
        if (stream.state === 'authenticated') features.append(xml('session', { xmlns: NS.session }, xml('optional')));
      },
      { owner: 'session' },
    ),
    hooks.on(
      'negotiate',
      ({ stream, el }) => {
        if (!el.is('iq') || el.attrs.type !== 'set' || !el.getChild('session', NS.session) || stream.state !== 'bound') return 'continue';
        stream.send(iqResult(el));
        return 'stop';
      },
      { owner: 'session' },
    ),
  ],
};
