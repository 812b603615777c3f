import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElement, type XmlLimits } from '#libs/xml';
import { NS } from './namespaces.js';
import { stanzaKind } from './stanza-kind.js';

const limits: XmlLimits = { maxStanzaBytes: 65536, maxDepth: 16, maxAttributes: 16, maxAttributeBytes: 1024, maxNameBytes: 64 };
const parse = (s: string) => parseElement(s, limits);

describe('stanzaKind', () => {
  it('classifies stanzas and nonzas', () => {
    assert.equal(stanzaKind(parse('<message/>')), 'message');
    assert.equal(stanzaKind(parse("<presence xmlns='jabber:client'/>")), 'presence');
    assert.equal(stanzaKind(parse("<iq xmlns='jabber:server'/>")), 'iq');
    assert.equal(stanzaKind(parse(`<r xmlns='${NS.sm}'/>`)), undefined);
    assert.equal(stanzaKind(parse("<message xmlns='urn:other'/>")), undefined);
  });
});
