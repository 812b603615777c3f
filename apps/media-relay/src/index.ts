export { MediaRelayModule } from './media-relay.module.js';
export { startMediaRelay, type MediaRelay } from './media-relay.js';
