import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AVATAR_DATA_NODE, AVATAR_METADATA_NODE, avatarItems, photoOf } from '#libs/avatars';
import { configSchema } from '#libs/config';
import { parseElement, xml } from '#libs/xml';
import { PresenceHarness } from '../../testing/presence-harness.js';

const LIMITS = configSchema.parse({}).edge.limits;
const image = (tag: string) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(`image ${tag}`)]);

describe('XEP-0398 §3.1: a XEP-0084 avatar publish becomes the vCard PHOTO', () => {
  let h: PresenceHarness;
  let n = 0;
  const user = () => h.createUser(`u${++n}`);
  const vcardOf = async (jid: string) => {
    const raw = await h.storage.vcards.get(jid);
    return raw === undefined ? undefined : parseElement(raw, LIMITS);
  };
  /** Publishes as the client does: data first, then metadata naming it. */
  async function publishAvatar(owner: string, data: Buffer, opts: { metadataId?: string } = {}) {
    const items = avatarItems({ type: 'image/png', data });
    const pep = h.presence.runtime.pep;
    assert.deepEqual(await pep.publish(owner, AVATAR_DATA_NODE, { id: items.id, payload: items.data }), { id: items.id });
    const metadata = items.metadata;
    if (opts.metadataId) metadata.getChild('info')!.attrs.id = opts.metadataId;
    await pep.publish(owner, AVATAR_METADATA_NODE, { id: opts.metadataId ?? items.id, payload: metadata });
    return items.id;
  }

  before(async () => {
    h = await PresenceHarness.start();
  });
  after(() => h.close());

  test('the photo lands in the vCard, other fields kept; the account advertises the conversion', async () => {
    const alice = await user();
    await h.storage.vcards.set(alice, '<vCard xmlns="vcard-temp"><FN>Alice</FN><PHOTO><TYPE>image/gif</TYPE><BINVAL>R0lG</BINVAL></PHOTO></vCard>');
    const img = image('a');
    await publishAvatar(alice, img);
    const vcard = await vcardOf(alice);
    assert.equal(vcard?.getChildText('FN'), 'Alice');
    assert.equal(photoOf(vcard)?.data.equals(img), true);
    assert.equal(photoOf(vcard)?.type, 'image/png');
    assert.ok(h.presence.runtime.accountDisco.features.has('urn:xmpp:pep-vcard-conversion:0'));
  });

  test('no vCard yet: one is made with the photo', async () => {
    const bob = await user();
    const img = image('b');
    await publishAvatar(bob, img);
    assert.equal(photoOf((await vcardOf(bob))!)?.data.equals(img), true);
  });

  test('metadata whose id is not the SHA-1 of the data item leaves the vCard alone (§3.1 SHOULD verify)', async () => {
    const carol = await user();
    await h.storage.vcards.set(carol, '<vCard xmlns="vcard-temp"><FN>Carol</FN></vCard>');
    await publishAvatar(carol, image('c'), { metadataId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
    assert.equal((await vcardOf(carol))?.getChild('PHOTO'), undefined);
  });

  test('empty metadata (avatar disabled) removes the PHOTO; external-only metadata changes nothing', async () => {
    const dave = await user();
    await publishAvatar(dave, image('d'));
    const pep = h.presence.runtime.pep;
    await pep.publish(dave, AVATAR_METADATA_NODE, {
      payload: xml('metadata', { xmlns: AVATAR_METADATA_NODE }, xml('info', { id: 'x', bytes: '1', type: 'image/png', url: 'https://example.com/a.png' })),
    });
    assert.ok((await vcardOf(dave))?.getChild('PHOTO'), 'an external avatar is not put into the vCard');
    await pep.publish(dave, AVATAR_METADATA_NODE, { payload: xml('metadata', { xmlns: AVATAR_METADATA_NODE }) });
    assert.equal((await vcardOf(dave))?.getChild('PHOTO'), undefined);
  });
});
