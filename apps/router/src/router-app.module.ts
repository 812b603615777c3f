import { Module } from '@nestjs/common';
import { CoreModule } from '#libs/runtime';
import { RouterModule } from './router.module.js';

@Module({ imports: [CoreModule.forRoot({ role: 'router' }), RouterModule] })
export class RouterAppModule {}
