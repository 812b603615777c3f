import type { Jid } from '#libs/jid';
import type { StanzaErrorCondition } from '#libs/stanza';

export type StanzaName = 'message' | 'presence' | 'iq';

/** What the table is asked about one stanza. */
export interface AddressQuery {
  kind: StanzaName;
  /** The stanza's type attribute as sent ('' when absent). */
  type: string;
  from: Jid;
  /** As addressed; the sender's bare JID when the stanza had no `to` (RFC 6120 §10.3.3). */
  to: Jid;
  /** The namespace of an IQ's one payload child; undefined when it has none or several. */
  ns?: string;
  /**
   * 'sent': straight from a local session, the sender's side has not run yet (a local account's
   * presence goes to its presence service first); 'deliver': the sender's side is done, find the
   * recipient.
   */
  phase: 'sent' | 'deliver';
}

/** Why a stanza goes to a service: which of its declared claims matched. */
export type ServiceClaim = 'account-presence' | 'account-iq' | 'server-iq' | 'domain' | 'remote-domain';

/**
 * The one decision: the sessions of a local account (RFC 6121 §8.5 rules apply, with the session
 * registry), a service (its partition subject and the key that chose it), a bounce with its RFC
 * condition, or nothing to do.
 */
export type Address =
  | { kind: 'account'; account: string }
  | {
      kind: 'service';
      service: string;
      claim: ServiceClaim;
      partitionKey: string;
      subject: string;
      /** Every live instance of the service takes a DeliveryBatch on its subjects (`takesBatches`). */
      batches: boolean;
    }
  | { kind: 'bounce'; condition: StanzaErrorCondition; text: string }
  | { kind: 'drop'; why: string };
