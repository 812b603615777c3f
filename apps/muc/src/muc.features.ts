import type { AnyFeature } from '#libs/xmpp-kit';
import { mucFeature } from './features/xep-0045-muc/index.js';
import { moderationFeature, retractionFeature } from './features/xep-0424-0425-retraction/index.js';
import { registrationFeature } from './features/xep-0045-registration/index.js';
import { voiceRequestsFeature } from './features/xep-0045-voice-requests/index.js';
import { roomArchiveFeature } from './features/xep-0313-room-archive/index.js';
import { selfPingFeature } from './features/xep-0410-self-ping/index.js';
import { occupantIdFeature } from './features/xep-0421-occupant-id/index.js';
import type { MucContext } from './muc.context.js';

/** muc's features, in set-up order: adding one is a folder under features/ and one line here. */
export const mucFeatures: AnyFeature<MucContext>[] = [
  mucFeature,
  voiceRequestsFeature,
  registrationFeature,
  roomArchiveFeature,
  selfPingFeature,
  occupantIdFeature,
  retractionFeature,
  moderationFeature,
];
