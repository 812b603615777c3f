import { Module } from '@nestjs/common';
import { AdminModule } from '#libs/admin';
import { CoreModule } from '#libs/runtime';
import { RouterModule } from './router.module.js';

/** The router process of a cluster; it also serves the admin gRPC API. */
@Module({ imports: [CoreModule.forRoot({ role: 'router' }), RouterModule, AdminModule] })
export class RouterAppModule {}
