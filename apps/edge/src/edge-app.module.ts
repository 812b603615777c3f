import { Module } from '@nestjs/common';
import { CoreModule } from '#libs/runtime';
import { EdgeModule } from './edge.module.js';

/** The edge as its own process (one Deployment on Kubernetes). */
@Module({ imports: [CoreModule.forRoot({ role: 'edge' }), EdgeModule] })
export class EdgeAppModule {}
