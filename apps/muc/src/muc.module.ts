import { Module } from '@nestjs/common';
import { serviceLifecycle } from '#libs/runtime';
import { startMuc } from './muc.js';

/** XEP-0045 group chat (config `muc`; idle unless muc.enabled). Needs CoreModule. */
@Module({ providers: [serviceLifecycle('muc', (c) => c.muc.id, startMuc)] })
export class MucModule {}
