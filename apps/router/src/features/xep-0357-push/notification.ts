import { NS } from '#libs/stanza';
import type { PushRegistration } from '#libs/storage';
import { xml, type Element } from '#libs/xml';

export const PUSH_NS = 'urn:xmpp:push:0';
export const SUMMARY_FORM = 'urn:xmpp:push:summary';
export const PUBLISH_OPTIONS_FORM = 'http://jabber.org/protocol/pubsub#publish-options';

/** What one notification says (XEP-0357 §7, the `urn:xmpp:push:summary` form). */
export interface Summary {
  /** Messages this notification is about: one (see README, "message-count"). */
  messageCount: number;
  /** The message's sender (full JID). */
  sender: string;
  /** Only when `features.push.includeBody` is on (§9: bodies through third parties are opt-in). */
  body?: string;
}

const field = (name: string, value: string, type?: string) => xml('field', { var: name, ...(type ? { type } : {}) }, xml('value', {}, value));

/**
 * The publish IQ of §7 (examples 8 and 9): from the account's bare JID to the push service, the
 * `<notification/>` item with the summary form, and the publish-options form from `<enable/>`.
 */
export function publishIq(owner: string, reg: PushRegistration, id: string, summary: Summary, publishOptions: Element | undefined): Element {
  const form = xml(
    'x',
    { xmlns: NS.xdata, type: 'submit' },
    field('FORM_TYPE', SUMMARY_FORM, 'hidden'),
    field('message-count', String(summary.messageCount)),
    field('last-message-sender', summary.sender),
    summary.body !== undefined ? field('last-message-body', summary.body) : undefined,
  );
  return xml(
    'iq',
    { type: 'set', from: owner, to: reg.service, id },
    xml(
      'pubsub',
      { xmlns: NS.pubsub },
      xml('publish', { node: reg.node }, xml('item', {}, xml('notification', { xmlns: PUSH_NS }, form))),
      publishOptions ? xml('publish-options', {}, publishOptions) : undefined,
    ),
  );
}

/** The FORM_TYPE of a data form (XEP-0068), or undefined. */
export function formType(x: Element): string | undefined {
  return x
    .getChildren('field')
    .find((f) => f.attrs.var === 'FORM_TYPE')
    ?.getChildText('value');
}
