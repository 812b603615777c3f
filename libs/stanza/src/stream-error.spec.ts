import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { streamError } from './stream-error.js';

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
