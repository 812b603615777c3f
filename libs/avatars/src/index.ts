export { avatarHash, photoOf, type VcardPhoto } from './vcard-photo.js';
export { stampPresence, storedAvatarHash, wantsStamp } from './presence-stamp.js';
export {
  AVATAR_DATA_NODE,
  AVATAR_METADATA_NODE,
  avatarItems,
  imageSize,
  readData,
  readMetadata,
  type AvatarMetadata,
  type InlineAvatarInfo,
} from './avatar-items.js';
export { vcardWithPhoto } from './vcard-edit.js';
