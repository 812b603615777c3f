import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { xml } from '#libs/xml';
import { avatarItems, imageSize, readData, readMetadata, vcardWithPhoto, photoOf } from './index.js';

/** A real 1×2 PNG header (signature + IHDR) followed by bytes: enough for the size and the hash. */
function png(width: number, height: number): Buffer {
  const b = Buffer.alloc(40);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

test('XEP-0398 §3.2: a vCard photo becomes a data item and a metadata item named by the SHA-1', () => {
  const image = png(64, 32);
  const items = avatarItems({ type: 'image/png', data: image });
  const sha1 = createHash('sha1').update(image).digest('hex');
  assert.equal(items.id, sha1);
  assert.equal(readData(items.data)?.equals(image), true);
  const info = items.metadata.getChild('info');
  assert.deepEqual(info?.attrs, { bytes: '40', id: sha1, type: 'image/png', width: '64', height: '32' });
  assert.deepEqual(readMetadata(items.metadata), { kind: 'inline', info: { id: sha1, type: 'image/png', bytes: 40 } });
  assert.equal(imageSize(Buffer.from('not an image')), undefined);
});

test('XEP-0398 §3.1: metadata picks the info without a url; empty metadata disables; foreign payloads are ignored', () => {
  const meta = xml(
    'metadata',
    { xmlns: 'urn:xmpp:avatar:metadata' },
    xml('info', { id: 'AAA', bytes: '9', type: 'image/gif', url: 'https://x/a.gif' }),
    xml('info', { id: 'BBB', bytes: '5', type: 'image/png' }),
  );
  assert.deepEqual(readMetadata(meta), { kind: 'inline', info: { id: 'bbb', type: 'image/png', bytes: 5 } });
  assert.deepEqual(readMetadata(xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' })), { kind: 'disabled' });
  assert.deepEqual(readMetadata(xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' }, xml('info', { id: 'A', url: 'https://x' }))), { kind: 'external' });
  assert.equal(readMetadata(xml('metadata', { xmlns: 'urn:other' })), undefined);
  assert.equal(readData(xml('data', { xmlns: 'urn:xmpp:avatar:data' }, '!!')), undefined);
});

test('vcardWithPhoto replaces the PHOTO and keeps the other fields; undefined removes it', () => {
  const vcard = xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice'), xml('PHOTO', {}, xml('TYPE', {}, 'image/gif'), xml('BINVAL', {}, 'AAAA')));
  const image = png(1, 1);
  const updated = vcardWithPhoto(vcard, { type: 'image/png', data: image });
  assert.equal(updated.getChildText('FN'), 'Alice');
  assert.equal(updated.getChildren('PHOTO').length, 1);
  assert.equal(photoOf(updated)?.data.equals(image), true);
  assert.equal(vcard.getChild('PHOTO')?.getChildText('BINVAL'), 'AAAA', 'the input is not changed');
  assert.equal(vcardWithPhoto(vcard, undefined).getChild('PHOTO'), undefined);
  assert.equal(vcardWithPhoto(undefined, { type: '', data: image }).getChild('PHOTO')?.getChildText('TYPE'), 'image/png');
});
