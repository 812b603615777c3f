import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElement, type XmlLimits } from '#libs/xml';
import { NS } from './namespaces.js';
import { errorReply, iqResult } from './replies.js';
import { StanzaError } from './stanza-error.js';

const limits: XmlLimits = { maxStanzaBytes: 65536, maxDepth: 16, maxAttributes: 16, maxAttributeBytes: 1024, maxNameBytes: 64 };
const parse = (s: string) => parseElement(s, limits);

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
