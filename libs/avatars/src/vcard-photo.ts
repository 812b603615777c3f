import { createHash } from 'node:crypto';
import type { Element } from '#libs/xml';

/** An image a vCard carries inline (XEP-0054 PHOTO with TYPE and BINVAL). */
export interface VcardPhoto {
  /** The MIME type from TYPE ('' when the vCard did not say). */
  type: string;
  data: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The inline photo of a vCard: undefined when it has none (no PHOTO, an empty one, or only an
 * EXTVAL link, which XEP-0153 §3.1 does not hash). BINVAL is base64 with whitespace allowed
 * (clients wrap it at 76 columns); anything that is not base64 is treated as no photo.
 */
export function photoOf(vcard: Element): VcardPhoto | undefined {
  const photo = vcard.getChild('PHOTO');
  const binval = photo?.getChildText('BINVAL')?.replace(/\s+/g, '');
  if (!photo || !binval || !BASE64.test(binval)) return undefined;
  const data = Buffer.from(binval, 'base64');
  if (data.length === 0) return undefined;
  return { type: photo.getChildText('TYPE')?.trim() ?? '', data };
}

/** XEP-0153 §4.1 and XEP-0084 §4.2: the hex SHA-1 of the image bytes names an avatar. */
export function avatarHash(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}
