import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller.js';

/**
 * The admin gRPC API. Needs CONFIG, LOGGER and STORAGE from a global module (CoreModule); mount it in
 * an app started as, or connected to, `adminMicroserviceOptions(config)`.
 */
@Module({ controllers: [AdminController] })
export class AdminModule {}
