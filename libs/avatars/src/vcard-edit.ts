import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { VcardPhoto } from './vcard-photo.js';

/**
 * XEP-0398 §3.1: the user's vCard with its PHOTO replaced by `photo` (removed when undefined: the
 * avatar was disabled), every other field kept. No stored vCard: a new one with only the photo.
 */
export function vcardWithPhoto(vcard: Element | undefined, photo: VcardPhoto | undefined): Element {
  const out = vcard?.clone() ?? xml('vCard', { xmlns: NS.vcard });
  for (const old of out.getChildren('PHOTO')) out.remove(old);
  if (photo) out.append(xml('PHOTO', {}, xml('TYPE', {}, photo.type || 'image/png'), xml('BINVAL', {}, photo.data.toString('base64'))));
  return out;
}
