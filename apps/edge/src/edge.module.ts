import { Module } from '@nestjs/common';
import { EdgeService } from './edge.service.js';

/** The edge's public module: needs CoreModule's tokens (CONFIG, LOGGER, HEALTH, BUS, STORAGE, SESSION_REGISTRY). */
@Module({ providers: [EdgeService], exports: [EdgeService] })
export class EdgeModule {}
