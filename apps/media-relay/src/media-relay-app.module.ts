import { Module } from '@nestjs/common';
import { CoreModule } from '#libs/runtime';
import { MediaRelayModule } from './media-relay.module.js';

@Module({ imports: [CoreModule.forRoot({ role: 'media-relay', sessions: 'lookup' }), MediaRelayModule] })
export class MediaRelayAppModule {}
