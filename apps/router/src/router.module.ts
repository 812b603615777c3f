import { Module } from '@nestjs/common';
import { serviceLifecycle } from '#libs/runtime';
import { startRouter } from './router.js';

/** Routing (RFC 6120 §10, RFC 6121 §8), server IQs and offline storage. Needs CoreModule. */
@Module({ providers: [serviceLifecycle('router', (c) => c.router.id, startRouter)] })
export class RouterModule {}
