import { Module } from '@nestjs/common';
import { CoreModule } from '#libs/runtime';
import { MucModule } from './muc.module.js';

@Module({ imports: [CoreModule.forRoot({ role: 'muc', sessions: 'lookup' }), MucModule] })
export class MucAppModule {}
