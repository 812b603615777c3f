export { pubsubConfigSchema, readPubSubConfig, type PubSubConfig } from './pubsub.config.js';
export { pubsubError, type PubSubCondition } from './pubsub-errors.js';
export {
  ACCESS_MODELS,
  NODE_CONFIG_FORM,
  PUBLISH_OPTIONS_FORM,
  applyConfig,
  checkPreconditions,
  configForm,
  defaultConfig,
  type AccessModel,
  type NodeConfig,
} from './node-config.js';
export type { Affiliation, PubSubNode, ServiceKind } from './pubsub-node.js';
export { PubSubEngine, type PubSubEvent, type PubSubItem, type PublishRequest } from './pubsub-engine.js';
export { answerPubSub, type PubSubActor } from './pubsub-iq.js';
export { eventElement, eventMessage, itemElement } from './notifications.js';
export { Recipients } from './recipients.js';
export { PepService, type PepDeps, type PepListener, type PepPublished, type PepRetractListener, type PepRetracted } from './pep-service.js';
export { PubSubDomainService } from './pubsub-service.js';
export { capsOf, isVerifiableHash, verificationString, verifyCaps, type CapsRef } from './caps/caps-hash.js';
export { CapsCache } from './caps/caps-cache.js';
export { CapsResolver } from './caps/caps-resolver.js';
export { pubsubDiscoFeatures } from './disco.js';
export { PepDisco } from './pep-disco.js';
