import { Element, xml } from '#libs/xml';
import { NS } from './namespaces.js';
import { counterFamily, type BoundCounter } from '#libs/telemetry';

/** RFC 6120 §8.3.3 defined conditions. */
export type StanzaErrorCondition =
  | 'bad-request'
  | 'conflict'
  | 'feature-not-implemented'
  | 'forbidden'
  | 'gone'
  | 'internal-server-error'
  | 'item-not-found'
  | 'jid-malformed'
  | 'not-acceptable'
  | 'not-allowed'
  | 'not-authorized'
  | 'policy-violation'
  | 'recipient-unavailable'
  | 'redirect'
  | 'registration-required'
  | 'remote-server-not-found'
  | 'remote-server-timeout'
  | 'resource-constraint'
  | 'service-unavailable'
  | 'subscription-required'
  | 'undefined-condition'
  | 'unexpected-request';

/** RFC 6120 §8.3.2. */
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** The type RFC 6120 §8.3.3 shows with each condition. */
export const DEFAULT_ERROR_TYPE: Readonly<Record<StanzaErrorCondition, StanzaErrorType>> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

export interface StanzaErrorOptions {
  type?: StanzaErrorType;
  /** Human-readable, for the sender's logs; never localised here. */
  text?: string;
  /** The entity that raised the error (RFC 6120 §8.3.2 'by'). */
  by?: string;
  /** For 'gone' and 'redirect': the new address, as the condition element's text (§8.3.3.5, §8.3.3.14). */
  uri?: string;
  /** An application-specific condition element (§8.3.2), e.g. <blocked xmlns='urn:xmpp:blocking:errors'/>. */
  appCondition?: Element;
  /**
   * Sent back before <error/> in the reply (RFC 6120 §8.3.1: the original payload MAY be
   * included), e.g. XEP-0050's <command/> with its sessionid, which clients match errors by.
   */
  echo?: Element;
}

export function isStanzaErrorCondition(s: string): s is StanzaErrorCondition {
  return Object.hasOwn(DEFAULT_ERROR_TYPE, s);
}

const errorsByCondition = counterFamily(
  'glider_stanza_errors_total',
  'Stanza errors this process generated (error replies and bounces), by condition (RFC 6120 §8.3.3)',
);
const errorCounters = new Map<string, BoundCounter>();
/** The conditions are RFC 6120's fixed list, so the series stay bounded; each is bound once. */
function countStanzaError(condition: StanzaErrorCondition): void {
  let c = errorCounters.get(condition);
  if (!c) errorCounters.set(condition, (c = errorsByCondition.bind({ condition })));
  c.add();
}

/** The <error/> child of an error stanza (RFC 6120 §8.3.2); counted in glider_stanza_errors_total. */
export function stanzaError(condition: StanzaErrorCondition, opts: StanzaErrorOptions = {}): Element {
  countStanzaError(condition);
  const error = xml('error', { type: opts.type ?? DEFAULT_ERROR_TYPE[condition] });
  if (opts.by !== undefined) error.attrs.by = opts.by;
  const cond = xml(condition, { xmlns: NS.stanzas });
  if (opts.uri !== undefined && (condition === 'gone' || condition === 'redirect')) cond.t(opts.uri);
  error.append(cond);
  if (opts.text !== undefined) error.append(xml('text', { xmlns: NS.stanzas }, opts.text));
  if (opts.appCondition !== undefined) error.append(opts.appCondition.clone());
  return error;
}

/**
 * A protocol error as a value (STYLE.md): features return or throw it, the IQ or message boundary
 * turns it into an error reply with errorReply().
 */
export class StanzaError extends Error {
  readonly condition: StanzaErrorCondition;
  readonly type: StanzaErrorType;
  readonly text: string | undefined;
  readonly by: string | undefined;
  readonly uri: string | undefined;
  readonly appCondition: Element | undefined;
  readonly echo: Element | undefined;

  constructor(condition: StanzaErrorCondition, opts: StanzaErrorOptions = {}) {
    super(opts.text ?? condition);
    this.name = 'StanzaError';
    this.condition = condition;
    this.type = opts.type ?? DEFAULT_ERROR_TYPE[condition];
    this.text = opts.text;
    this.by = opts.by;
    this.uri = opts.uri;
    this.appCondition = opts.appCondition;
    this.echo = opts.echo;
  }

  get options(): StanzaErrorOptions {
    return { type: this.type, text: this.text, by: this.by, uri: this.uri, appCondition: this.appCondition };
  }

  /** The <error/> element. */
  toElement(): Element {
    return stanzaError(this.condition, this.options);
  }

  /** Reads the <error/> child of an error stanza; unknown conditions become undefined-condition. */
  static fromStanza(stanza: Element): StanzaError | undefined {
    const error = stanza.getChild('error');
    if (error === undefined) return undefined;
    let condition: StanzaErrorCondition = 'undefined-condition';
    let uri: string | undefined;
    let appCondition: Element | undefined;
    for (const child of error.elements()) {
      if (child.xmlns === NS.stanzas && child.name !== 'text' && isStanzaErrorCondition(child.name)) {
        condition = child.name;
        uri = child.text() || undefined;
      } else if (child.xmlns !== NS.stanzas) appCondition ??= child;
    }
    const type = error.attrs.type as StanzaErrorType | undefined;
    return new StanzaError(condition, {
      type: type !== undefined && ['auth', 'cancel', 'continue', 'modify', 'wait'].includes(type) ? type : undefined,
      text: error.getChildText('text', NS.stanzas),
      by: error.attrs.by,
      uri,
      appCondition,
    });
  }
}
