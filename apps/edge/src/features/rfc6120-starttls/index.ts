import { xml } from '#libs/xml';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';

/**
 * RFC 6120 §5 STARTTLS, mandatory: before TLS only <starttls><required/></starttls> is offered,
 * and nothing but <starttls/> is accepted (SASL gets <encryption-required/>, anything else
 * <policy-violation/>).
 */
export const starttlsFeature: EdgeFeature = {
  name: 'starttls',
  spec: { rfc: 6120, section: '5' },
  setup: ({ hooks }) => [
    hooks.on(
      'stream-features',
      ({ stream, features }) => {
        if (stream.transport.secure) return;
        features.append(xml('starttls', { xmlns: NS.tls }, xml('required')));
        return 'stop'; // nothing else is offered before TLS
      },
      { priority: 100, owner: 'starttls' },
    ),
    hooks.on(
      'negotiate',
      ({ stream, el }) => {
        if (stream.transport.secure) {
          if (!el.is('starttls', NS.tls)) return 'continue';
          stream.send(xml('failure', { xmlns: NS.tls })); // TLS is already on (RFC 6120 §5.4.3.2)
          stream.close();
          return 'stop';
        }
        if (el.is('starttls', NS.tls)) {
          stream.send(xml('proceed', { xmlns: NS.tls }));
          return stream.startTls().then(() => 'stop');
        } else if (el.attrs.xmlns === NS.sasl) {
          stream.send(xml('failure', { xmlns: NS.sasl }, xml('encryption-required')));
        } else {
          stream.error('policy-violation', 'STARTTLS is required');
        }
        return 'stop';
      },
      { priority: 100, owner: 'starttls' },
    ),
  ],
};
