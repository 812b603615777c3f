import { Module, type DynamicModule } from '@nestjs/common';
import { AdminModule } from '#libs/admin';
import { CoreModule } from '#libs/runtime';
// standalone is the composition root: the one app that imports the others' public modules.
import { EdgeModule } from '../../edge/src/index.js';
import { MediaRelayModule } from '../../media-relay/src/index.js';
import { MucModule } from '../../muc/src/index.js';
import { PresenceModule } from '../../presence/src/index.js';
import { RouterModule } from '../../router/src/index.js';
import { EdgeWorkersModule } from './workers/edge-workers.module.js';

@Module({})
export class StandaloneModule {
  /**
   * `workers` 1: the edge in this thread with everything else. N ≥ 2: N edge worker threads
   * (workers/), imported last as the edge was, so router and presence serve before any client.
   */
  static forRoot(workers: number): DynamicModule {
    return {
      module: StandaloneModule,
      imports: [
        CoreModule.forRoot({ role: 'standalone' }),
        RouterModule,
        PresenceModule,
        MediaRelayModule,
        MucModule,
        workers > 1 ? EdgeWorkersModule.forRoot(workers) : EdgeModule,
        AdminModule,
      ],
    };
  }
}
