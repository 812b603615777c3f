import { Module } from '@nestjs/common';
import { serviceLifecycle } from '#libs/runtime';
import { startMediaRelay } from './media-relay.js';

/** File upload, SOCKS5 proxy, STUN/TURN (config `media`; idle unless media.enabled). Needs CoreModule. */
@Module({ providers: [serviceLifecycle('media', (c) => c.media.id, startMediaRelay)] })
export class MediaRelayModule {}
