import { Module } from '@nestjs/common';
import { serviceLifecycle } from '#libs/runtime';
import { startPresence } from './presence.js';

/** Rosters, subscriptions and presence (RFC 6121 §2-§4). Needs CoreModule. */
@Module({ providers: [serviceLifecycle('presence', (c) => c.presence.id, startPresence)] })
export class PresenceModule {}
