import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { avatarHash, photoOf } from './vcard-photo.js';

/**
 * What the server knows of a user's avatar from the stored vCard: a hash, '' for "no avatar" (a
 * vCard without an inline photo), undefined when no vCard is stored (nothing is known).
 */
export function storedAvatarHash(vcard: Element | undefined): string | undefined {
  if (!vcard) return undefined;
  const photo = photoOf(vcard);
  return photo ? avatarHash(photo.data) : '';
}

/**
 * XEP-0398 §4 (and XEP-0153 §4.1's business rules on the user's behalf): an available presence gets
 * `<x xmlns='vcard-temp:x:update'><photo>hash</photo></x>` unless the client put a photo element in
 * it itself (an empty one means "I am not advertising", a non-empty one is the client's own hash:
 * both left as they are). An x element without a photo is completed. Returns whether it changed.
 */
export function stampPresence(presence: Element, hash: string): boolean {
  let x = presence.getChild('x', NS.vcardUpdate);
  if (x?.getChild('photo')) return false;
  if (!x) {
    x = xml('x', { xmlns: NS.vcardUpdate });
    presence.append(x);
  }
  x.append(hash ? xml('photo', {}, hash) : xml('photo'));
  return true;
}

/** True when the presence needs the server's hash (XEP-0398 §4: not when the client sent a photo). */
export function wantsStamp(presence: Element): boolean {
  return !presence.getChild('x', NS.vcardUpdate)?.getChild('photo');
}
