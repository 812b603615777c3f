import { NS } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { StanzaOut as AnyStanzaOut } from '../../stream/stanza-out.js';

type StanzaOut = AnyStanzaOut<C2sStream>;

/**
 * What an inactive client's stream does with an outgoing stanza (XEP-0352 §"Server behaviour"
 * leaves the choice to the server; this is Glider's, close to Prosody's mod_csi_simple):
 * `flush` writes everything held, then it; `hold` keeps it; `collapse` keeps only the latest of its
 * `key` (presence per sender: §"Server behaviour", "push the latest presence from each contact").
 */
export type Verdict = { kind: 'flush' } | { kind: 'hold' } | { kind: 'collapse'; key: string };

const FLUSH: Verdict = { kind: 'flush' };
const HOLD: Verdict = { kind: 'hold' };

/** Subscription requests and answers (RFC 6121 §3): the user acts on them. */
const SUBSCRIPTION = new Set(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

/** Message payloads a user waits for, by namespace → element names (any name when empty). */
const URGENT_PAYLOADS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['eu.siacs.conversations.axolotl', new Set(['encrypted'])], // OMEMO (legacy, Conversations)
  ['urn:xmpp:omemo:2', new Set(['encrypted'])], // XEP-0384
  ['urn:xmpp:openpgp:0', new Set(['openpgp'])], // XEP-0373
  ['jabber:x:encrypted', new Set(['x'])], // XEP-0027
  ['urn:xmpp:jingle-message:0', new Set()], // XEP-0353: a call is ringing, or stopped ringing
  ['urn:xmpp:jingle-message:1', new Set()],
  [NS.mam, new Set(['result', 'fin'])], // XEP-0313: what the client asked for
  ['jabber:x:conference', new Set(['x'])], // XEP-0249 invitation
]);

export function verdict(out: StanzaOut): Verdict {
  const name = out.name;
  if (name === 'iq') return FLUSH; // an answer or a request (Jingle calls too): somebody waits
  const type = out.meta ? out.meta.type : out.element().attrs.type;
  if (type === 'error') return FLUSH;
  if (name === 'presence') return presenceVerdict(out, type);
  return urgentMessage(out.element()) ? FLUSH : HOLD;
}

function presenceVerdict(out: StanzaOut, type: string | undefined): Verdict {
  if (type && SUBSCRIPTION.has(type)) return FLUSH;
  const el = out.element();
  // XEP-0045 §7.2.3: the room's presence about the user itself (status 110) completes a join.
  const muc = el.getChild('x', NS.mucUser);
  if (muc?.getChildren('status').some((s) => s.attrs.code === '110')) return FLUSH;
  return { kind: 'collapse', key: el.attrs.from ?? '' };
}

/** A message worth waking the client for: a body, a subject, encryption, a call, an invitation, MAM. */
export function urgentMessage(el: Element): boolean {
  for (const child of el.elements()) {
    const ns = child.attrs.xmlns;
    if (ns === undefined || ns === NS.client) {
      if (child.name === 'body' || child.name === 'subject') return true;
      continue;
    }
    const names = URGENT_PAYLOADS.get(ns);
    if (names && (names.size === 0 || names.has(child.name))) return true;
    if (ns === NS.mucUser && child.getChild('invite')) return true; // XEP-0045 §7.8.2 mediated invitation
    // XEP-0280: a carbon is as urgent as the message it carries.
    if (ns === NS.carbons && (child.name === 'received' || child.name === 'sent')) {
      const inner = child.getChild('forwarded', NS.forward)?.getChild('message');
      if (inner && urgentMessage(inner)) return true;
    }
  }
  return false;
}
