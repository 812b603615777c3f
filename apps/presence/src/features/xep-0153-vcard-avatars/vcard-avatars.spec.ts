import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RosterItem } from '#libs/storage';
import { parseElement, xml, type Element } from '#libs/xml';
import { configSchema } from '#libs/config';
import { PresenceHarness } from '../../testing/presence-harness.js';
import { photoOf } from '#libs/avatars';

const LIMITS = configSchema.parse({}).edge.limits;
const IMAGE = Buffer.from('\x89PNG\r\n\x1a\n-not-really-an-image-but-bytes', 'binary');
const HASH = createHash('sha1').update(IMAGE).digest('hex');
/** A vCard as clients send it: BINVAL wrapped at 76 columns. */
const VCARD_WITH_PHOTO = `<vCard xmlns="vcard-temp"><FN>A</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${IMAGE.toString('base64').replace(/(.{20})/g, '$1\n')}</BINVAL></PHOTO></vCard>`;
const both = (jid: string): RosterItem => ({ jid, subscription: 'both', askOut: false, askIn: false, approved: false, groups: [] });
const photoIn = (p: Element | undefined) => p?.getChild('x', 'vcard-temp:x:update')?.getChild('photo');

describe('XEP-0153 / XEP-0398 §4: the avatar hash in presence', () => {
  let h: PresenceHarness;
  let n = 0;
  async function pair(vcard?: string): Promise<[string, string]> {
    n++;
    const a = await h.createUser(`a${n}`);
    const b = await h.createUser(`b${n}`);
    await h.storage.rosters.modify(a, b, () => both(b));
    await h.storage.rosters.modify(b, a, () => both(a));
    if (vcard) await h.storage.vcards.set(a, vcard);
    return [a, b];
  }
  /** What b's session saw of a's presence after a sent `el`. */
  async function seenByB(vcard: string | undefined, el: Element): Promise<Element | undefined> {
    const [a, b] = await pair(vcard);
    const b1 = await h.login(`${b}/phone`);
    const a1 = await h.bind(`${a}/pc`);
    await h.send(a1, el);
    await h.delivered();
    return h.for(b1).find((p) => p.name === 'presence' && p.attrs.from === a1.jid);
  }

  before(async () => {
    h = await PresenceHarness.start();
  });
  after(() => h.close());

  test('photoOf: inline BINVAL only; EXTVAL, empty or non-base64 photos are no photo', () => {
    const parse = (s: string) => parseElement(s, LIMITS);
    assert.equal(photoOf(parse(VCARD_WITH_PHOTO))?.data.equals(IMAGE), true);
    assert.equal(photoOf(parse(VCARD_WITH_PHOTO))?.type, 'image/png');
    assert.equal(photoOf(parse('<vCard xmlns="vcard-temp"><PHOTO><EXTVAL>https://x/y.png</EXTVAL></PHOTO></vCard>')), undefined);
    assert.equal(photoOf(parse('<vCard xmlns="vcard-temp"><PHOTO><BINVAL/></PHOTO></vCard>')), undefined);
    assert.equal(photoOf(parse('<vCard xmlns="vcard-temp"><PHOTO><BINVAL>**not base64**</BINVAL></PHOTO></vCard>')), undefined);
  });

  test('the stored photo hash goes into a presence without one, for contacts and in the recorded presence', async () => {
    const seen = await seenByB(VCARD_WITH_PHOTO, xml('presence'));
    assert.equal(photoIn(seen)?.text(), HASH);
    const rec = await h.registry.get(seen!.attrs.from!);
    const recorded = parseElement(Buffer.from(rec!.lastPresence!).toString('utf8'), LIMITS);
    assert.equal(photoIn(recorded)?.text(), HASH, 'probes answered later carry it too');
  });

  test('an x element without a photo is completed (XEP-0398 §4: MUST be overwritten)', async () => {
    const seen = await seenByB(VCARD_WITH_PHOTO, xml('presence', {}, xml('x', { xmlns: 'vcard-temp:x:update' })));
    assert.equal(seen?.getChildren('x', 'vcard-temp:x:update').length, 1);
    assert.equal(photoIn(seen)?.text(), HASH);
  });

  test("the client's own photo element is left alone: empty (not advertising) or its own hash", async () => {
    const empty = await seenByB(VCARD_WITH_PHOTO, xml('presence', {}, xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo'))));
    assert.equal(photoIn(empty)?.text(), '');
    const own = await seenByB(VCARD_WITH_PHOTO, xml('presence', {}, xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', {}, 'abc'))));
    assert.equal(photoIn(own)?.text(), 'abc');
  });

  test('a vCard without a photo: an empty photo element (no avatar); no vCard at all: presence untouched', async () => {
    const none = await seenByB('<vCard xmlns="vcard-temp"><FN>A</FN></vCard>', xml('presence'));
    assert.ok(photoIn(none), 'a photo element');
    assert.equal(photoIn(none)?.text(), '');
    const unknown = await seenByB(undefined, xml('presence', {}, xml('status', {}, 'hi')));
    assert.equal(unknown?.getChildText('status'), 'hi');
    assert.equal(unknown?.getChild('x', 'vcard-temp:x:update'), undefined);
  });

  test('directed available presence (a MUC join) carries the hash; unavailable does not', async () => {
    const [a, b] = await pair(VCARD_WITH_PHOTO);
    const b1 = await h.login(`${b}/phone`);
    const a1 = await h.bind(`${a}/pc`);
    await h.send(a1, xml('presence', { to: b1.jid }));
    await h.send(a1, xml('presence', { to: b1.jid, type: 'unavailable' }));
    await h.delivered();
    const got = h.for(b1).filter((p) => p.name === 'presence' && p.attrs.from === a1.jid);
    assert.equal(photoIn(got.find((p) => !p.attrs.type))?.text(), HASH);
    assert.equal(photoIn(got.find((p) => p.attrs.type === 'unavailable')), undefined);
  });
});
