import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElement, xml } from '#libs/xml';
import { decodeFrame, encodeFrame } from './frame.codec.js';
import { copyFor, sharedStanzaOf } from './stanza-envelope.js';

const LIMITS = { maxStanzaBytes: 65536, maxDepth: 32, maxAttributes: 64, maxAttributeBytes: 4096, maxNameBytes: 256 };

/** bus.proto DeliveryFanout: one stanza's bytes for many recipients, ` to="…"` put in per copy. */
describe('shared stanza (DeliveryFanout) copies', () => {
  const el = () =>
    xml('message', { from: 'room@conference.example.com/nïck', type: 'groupchat', id: 'm1', to: 'was@example.com' }, xml('body', {}, 'héllo & <bye>'));

  it('each copy is the stanza addressed to its recipient, whatever the JID needs escaped', () => {
    const shared = sharedStanzaOf(el());
    assert.equal(shared.env.to, '');
    assert.ok(!Buffer.from(shared.env.xml).toString().includes(' to='), 'the shared bytes carry no `to`');
    for (const to of ['u@example.com/r', 'u@example.com/a"b', "u@example.com/x&y<'z>", 'ü@example.com/ré\tsource']) {
      const copy = copyFor(shared, to);
      assert.equal(copy.to, to);
      const parsed = parseElement(Buffer.from(copy.xml).toString('utf8'), LIMITS);
      assert.equal(parsed.attrs.to, to);
      assert.equal(parsed.attrs.from, 'room@conference.example.com/nïck');
      assert.equal(parsed.getChildText('body'), 'héllo & <bye>');
      assert.equal(copy.kind, 'MESSAGE');
      assert.equal(copy.type, 'groupchat');
      assert.equal(copy.id, 'm1');
    }
  });

  it('survives the bus: a DeliveryFanout frame decodes to the same stanza, offset and recipients', () => {
    const shared = sharedStanzaOf(el());
    const recipients = [
      { to: 'a@example.com/1', sessionId: 's1' },
      { to: 'b@example.com/2', sessionId: 's2' },
    ];
    const frame = decodeFrame(encodeFrame({ fanout: { stanza: { ...shared.env, dedupeKey: 'k' }, toAt: shared.toAt, recipients } }));
    assert.ok(frame.fanout?.stanza);
    assert.deepEqual(frame.fanout.recipients, recipients);
    const copy = copyFor({ env: frame.fanout.stanza, toAt: frame.fanout.toAt }, 'b@example.com/2');
    assert.equal(Buffer.from(copy.xml).toString(), Buffer.from(copyFor(shared, 'b@example.com/2').xml).toString());
    assert.equal(copy.dedupeKey, 'k');
  });
});
