import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BUS, type Bus } from '#libs/bus';
import { CONFIG, type GliderConfig } from '#libs/config';
import { SESSION_REGISTRY, type SessionRegistry } from '#libs/sessions';
import { STORAGE, type Storage } from '#libs/storage';
import { HEALTH, HealthRegistry, LOGGER, type Logger } from '#libs/telemetry';
import { EdgeServer } from './edge.server.js';

let exitAfterDrain = false;

/** Set by the edge's own main: a DRAIN command ends the process (in standalone it only stops listening). */
export function exitProcessAfterDrain(): void {
  exitAfterDrain = true;
}

/**
 * Starts the edge when the app boots. SIGTERM (Nest's shutdown hooks) drains it before any module
 * shuts down, so the bus, registry and router still serve the sessions' last stanzas and ENDED.
 */
@Injectable()
export class EdgeService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  readonly server: EdgeServer;

  constructor(
    @Inject(CONFIG) config: GliderConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(HEALTH) health: HealthRegistry,
    @Inject(BUS) bus: Bus,
    @Inject(STORAGE) storage: Storage,
    @Inject(SESSION_REGISTRY) registry: SessionRegistry,
  ) {
    this.server = new EdgeServer({
      config,
      logger,
      bus,
      storage,
      registry,
      health,
      onDrained: () => {
        if (exitAfterDrain) process.kill(process.pid, 'SIGTERM');
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.server.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.server.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.stop();
  }
}
