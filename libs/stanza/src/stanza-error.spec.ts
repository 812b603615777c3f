import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElement, type XmlLimits } from '#libs/xml';
import { NS } from './namespaces.js';
import { errorReply } from './replies.js';
import { DEFAULT_ERROR_TYPE, StanzaError, stanzaError, type StanzaErrorCondition } from './stanza-error.js';

const limits: XmlLimits = { maxStanzaBytes: 65536, maxDepth: 16, maxAttributes: 16, maxAttributeBytes: 1024, maxNameBytes: 64 };
const parse = (s: string) => parseElement(s, limits);

describe('stanzaError', () => {
  it('builds the <error/> child with the default type, text and by', () => {
    assert.equal(
      stanzaError('item-not-found', { text: 'no such node', by: 'example.com' }).toString(),
      '<error type="cancel" by="example.com"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">no such node</text></error>',
    );
    assert.equal(stanzaError('bad-request', { type: 'cancel' }).attrs.type, 'cancel');
  });

  it('has a default type for every RFC 6120 §8.3.3 condition', () => {
    const conditions = Object.keys(DEFAULT_ERROR_TYPE) as StanzaErrorCondition[];
    assert.equal(conditions.length, 22);
    assert.equal(DEFAULT_ERROR_TYPE.forbidden, 'auth');
    assert.equal(DEFAULT_ERROR_TYPE['resource-constraint'], 'wait');
    assert.equal(DEFAULT_ERROR_TYPE['jid-malformed'], 'modify');
    for (const c of conditions) assert.ok(stanzaError(c).getChild(c, NS.stanzas));
  });

  it('carries the new address of gone and redirect, and an application condition', () => {
    const e = stanzaError('redirect', { uri: 'xmpp:room@conference.example.com' });
    assert.equal(e.getChildText('redirect', NS.stanzas), 'xmpp:room@conference.example.com');
    const blocked = parse(`<blocked xmlns='${NS.blockingErrors}'/>`);
    assert.ok(stanzaError('not-acceptable', { appCondition: blocked }).getChild('blocked', NS.blockingErrors));
  });
});

describe('StanzaError', () => {
  it('is an Error value with condition, type and text', () => {
    const e = new StanzaError('not-authorized', { text: 'who are you' });
    assert.ok(e instanceof Error);
    assert.equal(e.condition, 'not-authorized');
    assert.equal(e.type, 'auth');
    assert.equal(e.text, 'who are you');
    assert.equal(e.toElement().attrs.type, 'auth');
  });

  it('reads an error stanza back', () => {
    const reply = errorReply(parse("<iq from='a@b/c' id='1' type='set'/>"), 'conflict', { type: 'cancel', text: 'taken', by: 'b' })!;
    const e = StanzaError.fromStanza(parse(reply.toString()))!;
    assert.deepEqual([e.condition, e.type, e.text, e.by], ['conflict', 'cancel', 'taken', 'b']);
    assert.equal(StanzaError.fromStanza(parse('<iq type="result"/>')), undefined);
    assert.equal(StanzaError.fromStanza(parse('<iq type="error"><error type="x"><weird xmlns="y"/></error></iq>'))!.condition, 'undefined-condition');
  });
});
