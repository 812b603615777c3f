import { Module } from '@nestjs/common';
import { CoreModule } from '#libs/runtime';
import { PresenceModule } from './presence.module.js';

@Module({ imports: [CoreModule.forRoot({ role: 'presence' }), PresenceModule] })
export class PresenceAppModule {}
