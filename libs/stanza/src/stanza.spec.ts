import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElement, type XmlLimits } from '#libs/xml';
import {
  DEFAULT_ERROR_TYPE,
  delayElement,
  errorReply,
  iqResult,
  NS,
  StanzaError,
  stanzaError,
  stanzaKind,
  streamError,
  type StanzaErrorCondition,
} from './index.js';

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

describe('errorReply', () => {
  it('answers a message with to/from swapped, id kept, payload included', () => {
    const msg = parse("<message from='juliet@example.com/balcony' to='romeo@example.net' id='m1' type='chat'><body>hi</body></message>");
    assert.equal(
      errorReply(msg, 'service-unavailable')!.toString(),
      '<message to="juliet@example.com/balcony" from="romeo@example.net" id="m1" type="error"><body>hi</body>' +
        '<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>',
    );
  });

  it('answers an IQ get or set without its payload, keeping its xmlns', () => {
    const iq = parse(`<iq xmlns='jabber:client' from='a@example.com/r' to='example.com' id='q1' type='get'><query xmlns='${NS.version}'/></iq>`);
    assert.equal(
      errorReply(iq, new StanzaError('feature-not-implemented'))!.toString(),
      '<iq xmlns="jabber:client" to="a@example.com/r" from="example.com" id="q1" type="error">' +
        '<error type="cancel"><feature-not-implemented xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>',
    );
  });

  it('never answers an error, nor an IQ result', () => {
    assert.equal(errorReply(parse("<message type='error' id='x'/>"), 'bad-request'), undefined);
    assert.equal(errorReply(parse("<presence type='error'/>"), 'bad-request'), undefined);
    assert.equal(errorReply(parse("<iq type='error' id='x'/>"), 'bad-request'), undefined);
    assert.equal(errorReply(parse("<iq type='result' id='x'/>"), 'bad-request'), undefined);
  });

  it('answers a presence', () => {
    const reply = errorReply(parse("<presence from='a@b/c' to='d@e' type='subscribe'/>"), 'remote-server-not-found')!;
    assert.equal(reply.attrs.type, 'error');
    assert.equal(reply.attrs.to, 'a@b/c');
  });
});

describe('iqResult', () => {
  it('swaps addresses, keeps the id and carries the payload', () => {
    const iq = parse("<iq from='a@example.com/r' to='example.com' id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert.equal(iqResult(iq).toString(), '<iq to="a@example.com/r" from="example.com" id="p1" type="result"/>');
    const payload = parse(`<query xmlns='${NS.version}'><name>Glider</name></query>`);
    assert.equal(iqResult(iq, payload).getChild('query', NS.version)?.getChildText('name'), 'Glider');
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

describe('streamError', () => {
  it('builds <stream:error/> with the condition and text in the streams namespace', () => {
    assert.equal(
      streamError('policy-violation', 'stanza too big').toString(),
      '<stream:error><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-streams">stanza too big</text></stream:error>',
    );
    assert.equal(streamError('see-other-host', undefined, 'edge-2.example.com').getChildText('see-other-host'), 'edge-2.example.com');
  });
});

describe('stanzaKind', () => {
  it('classifies stanzas and nonzas', () => {
    assert.equal(stanzaKind(parse('<message/>')), 'message');
    assert.equal(stanzaKind(parse("<presence xmlns='jabber:client'/>")), 'presence');
    assert.equal(stanzaKind(parse("<iq xmlns='jabber:server'/>")), 'iq');
    assert.equal(stanzaKind(parse(`<r xmlns='${NS.sm}'/>`)), undefined);
    assert.equal(stanzaKind(parse("<message xmlns='urn:other'/>")), undefined);
  });
});

describe('delayElement', () => {
  it('stamps XEP-0203 delay in UTC', () => {
    assert.equal(
      delayElement('example.com', new Date(Date.UTC(2002, 8, 10, 23, 8, 25)), 'Offline Storage').toString(),
      '<delay xmlns="urn:xmpp:delay" from="example.com" stamp="2002-09-10T23:08:25.000Z">Offline Storage</delay>',
    );
  });
});
