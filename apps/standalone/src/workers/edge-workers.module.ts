import { Module, type DynamicModule } from '@nestjs/common';
import { EdgeWorkers } from './edge-workers.js';
import { EDGE_WORKER_COUNT } from './edge-workers.tokens.js';

/** In place of EdgeModule when standalone runs its edge in worker threads. */
@Module({})
export class EdgeWorkersModule {
  static forRoot(count: number): DynamicModule {
    return { module: EdgeWorkersModule, providers: [{ provide: EDGE_WORKER_COUNT, useValue: count }, EdgeWorkers] };
  }
}
