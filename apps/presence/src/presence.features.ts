import type { AnyFeature } from '#libs/xmpp-kit';
import { presenceFeature } from './features/rfc6121-presence/index.js';
import { rosterFeature } from './features/rfc6121-roster/index.js';
import { subscriptionsFeature } from './features/rfc6121-subscriptions/index.js';
import { blockingFeature } from './features/xep-0191-blocking/index.js';
import { vcardAvatarsFeature } from './features/xep-0153-vcard-avatars/index.js';
import { pubsubFeature } from './features/xep-0060-pubsub/index.js';
import { avatarConversionFeature } from './features/xep-0398-avatar-conversion/index.js';
import { bookmarksPepFeature } from './features/xep-0402-bookmarks-pep/index.js';
import { directorySharedRosterFeature } from './features/directory-shared-roster/index.js';
import { searchFeature } from './features/xep-0055-search/index.js';
import { preauthSubscriptionFeature } from './features/xep-0379-preauth/index.js';
import type { PresenceContext } from './presence.context.js';

/** The presence service's features, in set-up order: adding one means adding it here. */
export const presenceFeatures: AnyFeature<PresenceContext>[] = [
  rosterFeature,
  subscriptionsFeature,
  presenceFeature,
  blockingFeature,
  pubsubFeature,
  vcardAvatarsFeature,
  avatarConversionFeature,
  bookmarksPepFeature,
  directorySharedRosterFeature,
  searchFeature,
  preauthSubscriptionFeature,
];
