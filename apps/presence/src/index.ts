export { PresenceModule } from './presence.module.js';
export { startPresence, type Presence } from './presence.js';
