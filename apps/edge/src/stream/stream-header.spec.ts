import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHeader, streamErrorXml } from './stream-header.js';

const NS = { 'xmlns:stream': 'http://etherx.jabber.org/streams', xmlns: 'jabber:client' };

test('checkHeader: the RFC 6120 §4.9.1 conditions, most useful first', () => {
  const domains = ['example.test'];
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'Example.Test.', version: '1.0' }, domains, false).error, undefined);
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'example.test', version: '1.5' }, domains, false).error, undefined);
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'example.test' }, domains, false).error, 'unsupported-version');
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'example.test', version: '2.0' }, domains, false).error, 'unsupported-version');
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'other.test', version: '1.0' }, domains, false).error, 'host-unknown');
  assert.equal(checkHeader('stream:stream', { ...NS, version: '1.0' }, domains, false).error, 'host-unknown');
  assert.equal(checkHeader('stream:stream', { ...NS, xmlns: 'jabber:server', to: 'example.test', version: '1.0' }, domains, false).error, 'invalid-namespace');
  assert.equal(
    checkHeader('s:stream', { 'xmlns:s': 'http://etherx.jabber.org/streams', xmlns: 'jabber:client', to: 'example.test', version: '1.0' }, domains, false)
      .error,
    undefined,
  );
  assert.equal(checkHeader('stream:stream', { 'xmlns:stream': 'urn:wrong', to: 'example.test', version: '1.0' }, domains, false).error, 'invalid-namespace');
  assert.equal(checkHeader('open', { xmlns: 'urn:ietf:params:xml:ns:xmpp-framing', to: 'example.test', version: '1.0' }, domains, true).error, undefined);
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'example.test', version: '1.0' }, domains, true).error, 'invalid-namespace');
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'example.test', version: '1.0', 'xml:lang': 'de' }, domains, false).lang, 'de');
  assert.equal(checkHeader('stream:stream', { ...NS, to: 'example.test', version: '1.0', 'xml:lang': "x' onload='" }, domains, false).lang, 'en');
});

test('streamErrorXml declares the stream prefix on WebSocket only', () => {
  assert.equal(streamErrorXml('conflict', undefined, false), "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
  assert.match(
    streamErrorXml('conflict', 'a<b', true),
    /^<stream:error xmlns:stream='http:\/\/etherx.jabber.org\/streams'>.*<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>a&lt;b<\/text>/,
  );
});
