import type { AnyFeature } from '#libs/xmpp-kit';
import type { EdgeContext } from '../edge.context.js';
import { saslFeature } from './rfc6120-sasl/index.js';
import { starttlsFeature } from './rfc6120-starttls/index.js';
import { bindFeature } from './rfc6120-bind/index.js';
import { sessionFeature } from './rfc3921-session/index.js';
import { registerFeature } from './xep-0077-register/index.js';
import { inviteFeature } from './xep-0401-invite/index.js';
import { keepaliveFeature } from './xep-0199-keepalive/index.js';
import { streamLimitsFeature } from './xep-0478-stream-limits/index.js';
import { csiFeature } from './xep-0352-csi/index.js';
import { rosterFeaturesFeature } from './rfc6121-roster-features/index.js';
import { smFeature } from './xep-0198-sm/index.js';
import { sasl2Feature } from './xep-0388-sasl2/index.js';
import { bind2Feature } from './xep-0386-bind2/index.js';
import { fastFeature } from './xep-0484-fast/index.js';

/** The edge's ordered feature list: the only place a new stream feature is added. */
export const edgeFeatures: AnyFeature<EdgeContext>[] = [
  starttlsFeature,
  saslFeature,
  sasl2Feature,
  fastFeature,
  registerFeature,
  inviteFeature,
  bindFeature,
  bind2Feature,
  sessionFeature,
  rosterFeaturesFeature,
  streamLimitsFeature,
  keepaliveFeature,
  csiFeature,
  smFeature,
];
