import { xml, type Element } from '#libs/xml';
import { avatarHash, type VcardPhoto } from './vcard-photo.js';

/** XEP-0084 1.1.4 §2: the two PEP nodes of a user avatar (item id = SHA-1 of the image). */
export const AVATAR_DATA_NODE = 'urn:xmpp:avatar:data';
export const AVATAR_METADATA_NODE = 'urn:xmpp:avatar:metadata';

/** One `info` of a metadata item that points at data in the data node (no `url`). */
export interface InlineAvatarInfo {
  id: string;
  type: string;
  bytes: number;
}

/** What an avatar metadata item says: an avatar published in the data node, none (disabled), or only external URLs. */
export type AvatarMetadata = { kind: 'inline'; info: InlineAvatarInfo } | { kind: 'disabled' } | { kind: 'external' };

/**
 * XEP-0398 §3.1 reads a metadata payload: the info without a `url` (the one whose bytes are in the
 * data node); an empty metadata element disables the avatar (XEP-0084 §4.5).
 */
export function readMetadata(metadata: Element): AvatarMetadata | undefined {
  if (!metadata.is('metadata', AVATAR_METADATA_NODE)) return undefined;
  const infos = metadata.getChildren('info');
  if (infos.length === 0) return { kind: 'disabled' };
  const inline = infos.find((i) => i.attrs.url === undefined && i.attrs.id);
  if (!inline) return { kind: 'external' };
  return { kind: 'inline', info: { id: inline.attrs.id!.toLowerCase(), type: inline.attrs.type ?? '', bytes: Number(inline.attrs.bytes ?? 0) } };
}

/** The image bytes of a data payload (`<data xmlns='urn:xmpp:avatar:data'>base64</data>`), undefined when not one. */
export function readData(data: Element): Buffer | undefined {
  if (!data.is('data', AVATAR_DATA_NODE)) return undefined;
  const text = data.text().replace(/\s+/g, '');
  if (!text || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

/** Width and height from a PNG's IHDR or a GIF's screen descriptor; undefined for other formats. */
export function imageSize(data: Buffer): { width: number; height: number } | undefined {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47 && data.toString('latin1', 12, 16) === 'IHDR')
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  if (data.length >= 10 && data.toString('latin1', 0, 4) === 'GIF8') return { width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
  return undefined;
}

/**
 * XEP-0398 §3.2: the two items published for a vCard photo: the data item and a metadata item with
 * one info (type from the vCard's TYPE; width and height when the image says them, XEP-0084 §4.2.1).
 */
export function avatarItems(photo: VcardPhoto): { id: string; data: Element; metadata: Element } {
  const id = avatarHash(photo.data);
  const size = imageSize(photo.data);
  const info = xml('info', {
    bytes: String(photo.data.length),
    id,
    type: photo.type || 'image/png',
    ...(size ? { width: String(size.width), height: String(size.height) } : {}),
  });
  return {
    id,
    data: xml('data', { xmlns: AVATAR_DATA_NODE }, photo.data.toString('base64')),
    metadata: xml('metadata', { xmlns: AVATAR_METADATA_NODE }, info),
  };
}
