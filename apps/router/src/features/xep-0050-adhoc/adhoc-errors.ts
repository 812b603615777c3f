import { NS, StanzaError, type StanzaErrorCondition } from '#libs/stanza';
import { xml } from '#libs/xml';

/** XEP-0050 §4.6: the general condition with the command namespace's specific one. */
type AdhocCondition = 'malformed-action' | 'bad-action' | 'bad-locale' | 'bad-payload' | 'bad-sessionid' | 'session-expired';

const GENERAL: Record<AdhocCondition, StanzaErrorCondition> = {
  'malformed-action': 'bad-request',
  'bad-action': 'bad-request',
  'bad-locale': 'bad-request',
  'bad-payload': 'bad-request',
  'bad-sessionid': 'bad-request',
  'session-expired': 'not-allowed',
};

export function adhocError(condition: AdhocCondition, text?: string): StanzaError {
  return new StanzaError(GENERAL[condition], { appCondition: xml(condition, { xmlns: NS.commands }), ...(text ? { text } : {}) });
}
