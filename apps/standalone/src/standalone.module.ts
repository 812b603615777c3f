import { Module } from '@nestjs/common';
import { AdminModule } from '#libs/admin';
import { CoreModule } from '#libs/runtime';
// standalone is the composition root: the one app that imports the others' public modules.
import { EdgeModule } from '../../edge/src/index.js';
import { MediaRelayModule } from '../../media-relay/src/index.js';
import { MucModule } from '../../muc/src/index.js';
import { PresenceModule } from '../../presence/src/index.js';
import { RouterModule } from '../../router/src/index.js';

@Module({
  imports: [CoreModule.forRoot({ role: 'standalone' }), RouterModule, PresenceModule, MediaRelayModule, MucModule, EdgeModule, AdminModule],
})
export class StandaloneModule {}
