import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { AVATAR_DATA_NODE, AVATAR_METADATA_NODE, readData, readMetadata } from '#libs/avatars';
import { PepService, type PubSubItem } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import { RouterHarness } from '../../testing/router-harness.js';

let h: RouterHarness;
let pep: PepService;
before(async () => {
  h = await RouterHarness.start();
  pep = new PepService({ ...h, delivery: h.routers[0]!.runtime.delivery, logger: pino({ level: 'silent' }) });
});
after(() => h.close());

const items = async (owner: string, node: string): Promise<PubSubItem[]> => {
  const got = await pep.items(owner, node);
  return got instanceof StanzaError ? [] : got;
};
const vcardWith = (image: Buffer | undefined) =>
  xml(
    'vCard',
    { xmlns: 'vcard-temp' },
    xml('FN', {}, 'A'),
    image ? xml('PHOTO', {}, xml('TYPE', {}, 'image/jpeg'), xml('BINVAL', {}, image.toString('base64'))) : undefined,
  );

test('XEP-0398 §3.2: a vCard set with a PHOTO publishes data then metadata; same photo again publishes nothing; no photo disables', async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const a = await edge.bind(`${alice}/pc`);
  const image = Buffer.from('a jpeg, as far as this test cares');
  const id = createHash('sha1').update(image).digest('hex');
  assert.equal((await edge.ask(a, xml('iq', { type: 'set' }, vcardWith(image)))).attrs.type, 'result');
  const [data] = await items(alice, AVATAR_DATA_NODE);
  assert.equal(data?.id, id);
  assert.equal(readData(data.payload!)?.equals(image), true);
  const [meta] = await items(alice, AVATAR_METADATA_NODE);
  assert.equal(meta?.id, id);
  assert.deepEqual(readMetadata(meta.payload!), { kind: 'inline', info: { id, type: 'image/jpeg', bytes: image.length } });

  // The same photo with another FN: the metadata item is not published again.
  const before = meta.publishedAt;
  await edge.ask(a, xml('iq', { type: 'set' }, vcardWith(image).append(xml('NICKNAME', {}, 'al'))));
  assert.deepEqual((await items(alice, AVATAR_METADATA_NODE))[0]?.publishedAt, before);

  // A PHOTO that is only a link, or not base64: the avatar stays as it is.
  const link = xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('EXTVAL', {}, 'https://example.com/a.png')));
  await edge.ask(a, xml('iq', { type: 'set' }, link));
  const broken = xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, '%%%')));
  assert.equal((await edge.ask(a, xml('iq', { type: 'set' }, broken))).attrs.type, 'result', 'stored as sent, no error');
  assert.equal((await items(alice, AVATAR_METADATA_NODE))[0]?.id, id);

  // A vCard without PHOTO: empty metadata (XEP-0084 §4.5, avatar disabled).
  await edge.ask(a, xml('iq', { type: 'set' }, vcardWith(undefined)));
  assert.deepEqual(readMetadata((await items(alice, AVATAR_METADATA_NODE))[0]!.payload!), { kind: 'disabled' });
});

test('features.vcard.toPep=false: the vCard is stored, PEP untouched', async () => {
  const off = await RouterHarness.start({ config: { features: { vcard: { toPep: false } } } });
  try {
    const edge = off.edge();
    const bob = await off.createUser('bob');
    const b = await edge.bind(`${bob}/pc`);
    assert.equal((await edge.ask(b, xml('iq', { type: 'set' }, vcardWith(Buffer.from('img'))))).attrs.type, 'result');
    assert.equal(await off.storage.pubsub.node(bob, AVATAR_METADATA_NODE), undefined);
  } finally {
    await off.close();
  }
});
