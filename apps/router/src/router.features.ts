import type { AnyFeature } from '#libs/xmpp-kit';
import { lastActivityFeature } from './features/xep-0012-last/index.js';
import { discoFeature } from './features/xep-0030-disco/index.js';
import { privateFeature } from './features/xep-0049-private/index.js';
import { vcardFeature } from './features/xep-0054-vcard/index.js';
import { versionFeature } from './features/xep-0092-version/index.js';
import { offlineFeature } from './features/xep-0160-offline/index.js';
import { pingFeature } from './features/xep-0199-ping/index.js';
import { timeFeature } from './features/xep-0202-time/index.js';
import { blockingFeature } from './features/xep-0191-blocking/index.js';
import { carbonsFeature } from './features/xep-0280-carbons/index.js';
import { registerFeature } from './features/xep-0077-register/index.js';
import { adhocFeature } from './features/xep-0050-adhoc/index.js';
import { contactAddressesFeature } from './features/xep-0157-contact/index.js';
import { mamFeature } from './features/xep-0313-mam/index.js';
import { pushFeature } from './features/xep-0357-push/index.js';
import { mdsFeature } from './features/xep-0490-mds/index.js';
import type { RouterContext } from './router.context.js';

/** The router's features, in set-up order: adding a XEP means adding it here. */
export const routerFeatures: AnyFeature<RouterContext>[] = [
  discoFeature,
  versionFeature,
  pingFeature,
  timeFeature,
  vcardFeature,
  privateFeature,
  lastActivityFeature,
  offlineFeature,
  registerFeature,
  carbonsFeature,
  adhocFeature,
  contactAddressesFeature,
  blockingFeature,
  mamFeature,
  pushFeature,
  mdsFeature,
];
