import { NS, StanzaError } from '#libs/stanza';
import type { IqAnswer, IqDispatcher, Registration } from '#libs/xmpp-kit';
import type { MediaIqRequest } from '../../media-relay.context.js';
import type { TurnRestCredential } from '../rfc8656-turn/credentials.js';
import { credentialsAnswer, servicesAnswer, servicesOf, type ServingRelay } from './external-services.js';

/** The relay as this feature sees it: where it listens, and how a credential is minted for a user. */
export interface ExtdiscoRelay extends ServingRelay {
  issue(user: string): TurnRestCredential;
}

/**
 * XEP-0215 on the server's own domain (§3: a client asks "its server"): `<services/>` (§3.1, §3.2)
 * and `<credentials/>` (§3.3) as IQ get. Only this server's users get the relay: a requester from
 * another domain is `forbidden` (§2). The credential is minted for the requester's bare JID, which
 * is the user the relay's quotas count.
 */
export function registerExtdisco(iq: IqDispatcher<MediaIqRequest>, localDomains: string[], relay: ExtdiscoRelay): Registration[] {
  const services = servicesOf(relay);
  const handle = (req: MediaIqRequest): IqAnswer => {
    if (!localDomains.includes(req.from.domain)) {
      return new StanzaError('forbidden', { text: `XEP-0215: external services are for users of ${req.domain}` });
    }
    const issue = () => relay.issue(req.from.bare().toString());
    if (req.payload.name === 'services') return servicesAnswer(services, req.payload, issue);
    if (req.payload.name === 'credentials') return credentialsAnswer(services, req.payload, issue);
    return new StanzaError('bad-request', { text: `XEP-0215 has no <${req.payload.name}/> request` });
  };
  return [iq.register('get', NS.extdisco, handle, { server: true }, 'extdisco')];
}
