import { AdminError } from '#libs/admin';
import { StanzaError } from '#libs/stanza';
import { adhocError } from '../xep-0050-adhoc/adhoc-errors.js';

/** AdminOperations' refusals as the stanza errors an XEP-0133 command answers (XEP-0050 §4.6). */
export function asStanzaError(err: unknown): StanzaError {
  if (!(err instanceof AdminError)) throw err;
  switch (err.kind) {
    case 'invalid':
      return adhocError('bad-payload', err.message); // the form's values (JID, password) are wrong
    case 'exists':
      return new StanzaError('conflict', { text: err.message });
    case 'not-found':
      return new StanzaError('item-not-found', { text: err.message });
    case 'unavailable':
      return new StanzaError('service-unavailable', { type: 'wait', text: err.message });
  }
}
