import type { AnyFeature } from '#libs/xmpp-kit';
import { socks5Feature } from './features/xep-0065-socks5/index.js';
import { turnFeature } from './features/rfc8656-turn/index.js';
import { uploadFeature } from './features/xep-0363-upload/index.js';
import type { MediaContext } from './media-relay.context.js';

/**
 * media-relay's features, in set-up order: adding one is a folder under features/ and one line here.
 * Each decides from config (`media.*`) whether it serves; one that does not registers nothing.
 */
export const mediaFeatures: AnyFeature<MediaContext>[] = [
  uploadFeature,
  socks5Feature,
  turnFeature,
  // turn-webrtc: xep-0215-extdisco
];
