import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElement, XmlParseError, type XmlErrorCondition, type XmlLimits } from './index.js';

const limits: XmlLimits = { maxStanzaBytes: 1024, maxDepth: 4, maxAttributes: 8, maxAttributeBytes: 128, maxNameBytes: 32 };

function conditionOf(text: string): XmlErrorCondition | undefined {
  try {
    parseElement(text, limits);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof XmlParseError);
    return err.condition;
  }
}

describe('parseElement (RFC 7395 WebSocket frames)', () => {
  it('parses <open/> and <close/>', () => {
    const open = parseElement("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>", limits);
    assert.equal(open.name, 'open');
    assert.deepEqual(open.attrs, { xmlns: 'urn:ietf:params:xml:ns:xmpp-framing', to: 'example.com', version: '1.0' });
    assert.equal(parseElement('<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>', limits).name, 'close');
  });

  it('parses a stanza with its namespace, and allows surrounding whitespace', () => {
    const el = parseElement("\n <message xmlns='jabber:client' to='a@b'><body>hi &amp; bye</body></message> \n", limits);
    assert.equal(el.parent, undefined);
    assert.equal(el.getChild('body')?.xmlns, 'jabber:client');
    assert.equal(el.getChildText('body'), 'hi & bye');
    assert.equal(el.toString(), '<message xmlns="jabber:client" to="a@b"><body>hi &amp; bye</body></message>');
  });

  it('rejects what a stream rejects', () => {
    assert.equal(conditionOf('<message><!-- x --></message>'), 'restricted-xml');
    assert.equal(conditionOf("<?xml version='1.0'?><open/>"), 'restricted-xml');
    assert.equal(conditionOf('<message><body>&ent;</body></message>'), 'restricted-xml');
    assert.equal(conditionOf('<message to="a" to="b"/>'), 'not-well-formed');
    assert.equal(conditionOf('<message>\u0007</message>'), 'not-well-formed');
    assert.equal(conditionOf('<a><b><c><d><e/></d></c></b></a>'), 'policy-violation');
    assert.equal(conditionOf(`<message><body>${'x'.repeat(1100)}</body></message>`), 'policy-violation');
  });

  it('rejects anything but exactly one complete element', () => {
    assert.equal(conditionOf('<message>'), 'not-well-formed');
    assert.equal(conditionOf("<message to='a"), 'not-well-formed');
    assert.equal(conditionOf('<a/><b/>'), 'not-well-formed');
    assert.equal(conditionOf('<a/>text'), 'not-well-formed');
    assert.equal(conditionOf('text'), 'not-well-formed');
    assert.equal(conditionOf(''), 'bad-format');
    assert.equal(conditionOf('   '), 'bad-format');
  });
});
