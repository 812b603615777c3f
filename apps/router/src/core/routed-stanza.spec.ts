import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeOf } from '#libs/bus';
import { parseJid } from '#libs/jid';
import { configSchema } from '#libs/config';
import { parseElement, reparseLimits, xml, type Element } from '#libs/xml';
import { RoutedStanza } from './routed-stanza.js';

const MDS = 'urn:xmpp:mds:displayed:0';
const limits = reparseLimits(configSchema.parse({}).edge.limits);
const routed = (el: Element, bytes?: Uint8Array) => {
  const env = envelopeOf(el);
  return new RoutedStanza(bytes ? { ...env, xml: bytes } : env, parseJid('a@localhost/pc'), parseJid('b@localhost'), (b) =>
    parseElement(Buffer.from(b).toString('utf8'), limits),
  );
};

test('mayHold: true when the namespace is declared anywhere in the stanza, default or prefixed', () => {
  const plain = xml('message', { to: 'b@localhost', type: 'chat' }, xml('body', {}, 'hi'));
  const asDefault = xml(
    'message',
    { to: 'b@localhost' },
    xml('displayed', { xmlns: MDS }, xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', id: '1', by: 'b@localhost' })),
  );
  const prefixed = parseElement(`<message to="b@localhost" xmlns:m="${MDS}"><m:displayed/></message>`, limits);
  assert.equal(routed(plain).mayHold(MDS), false);
  assert.equal(routed(asDefault).mayHold(MDS), true);
  assert.equal(routed(prefixed).mayHold(MDS), true);
  // a body that quotes the namespace says "maybe": the caller parses and finds no such element
  assert.equal(routed(xml('message', {}, xml('body', {}, `see ${MDS}`))).mayHold(MDS), true);
});

test('mayHold reads only the stanza bytes of a view into a larger buffer', () => {
  const whole = Buffer.from(`<message to="b@localhost"><body>hi</body></message><displayed xmlns="${MDS}"/>`);
  const end = whole.indexOf('</message>') + '</message>'.length;
  const view = new Uint8Array(whole.buffer, whole.byteOffset, end);
  assert.equal(routed(xml('message'), view).mayHold(MDS), false);
  assert.equal(routed(xml('message'), new Uint8Array(whole.buffer, whole.byteOffset + end)).mayHold(MDS), true);
});
