import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { BUS, type Bus } from '#libs/bus';
import { CONFIG, instanceId, type GliderConfig } from '#libs/config';
import { SESSION_REGISTRY, type SessionRegistry } from '#libs/sessions';
import { STORAGE, type Storage } from '#libs/storage';
import { HEALTH, HealthRegistry, LOGGER, type Logger } from '#libs/telemetry';
import type { ServiceDeps } from './partitioned-service.js';

export interface StartedService {
  stop(): Promise<void>;
}

/**
 * The Nest provider that starts one service (router, presence) from CoreModule's tokens at
 * bootstrap, reports `starting` on /healthz/ready until it has, and stops it at shutdown.
 */
export function serviceLifecycle(
  name: string,
  configuredId: (config: GliderConfig) => string | undefined,
  start: (deps: ServiceDeps) => Promise<StartedService>,
): Type<OnApplicationBootstrap & OnApplicationShutdown> {
  @Injectable()
  class ServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
    private service: StartedService | undefined;

    constructor(
      @Inject(CONFIG) private readonly config: GliderConfig,
      @Inject(LOGGER) private readonly logger: Logger,
      @Inject(HEALTH) private readonly health: HealthRegistry,
      @Inject(BUS) private readonly bus: Bus,
      @Inject(STORAGE) private readonly storage: Storage,
      @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
    ) {}

    async onApplicationBootstrap(): Promise<void> {
      this.health.register(name, () => (this.service ? undefined : 'starting'));
      this.service = await start({
        config: this.config,
        logger: this.logger.child({ component: name }),
        bus: this.bus,
        storage: this.storage,
        registry: this.registry,
        instanceId: instanceId(configuredId(this.config), name),
      });
    }

    async onApplicationShutdown(): Promise<void> {
      await this.service?.stop();
    }
  }
  Object.defineProperty(ServiceLifecycle, 'name', { value: `${name[0]!.toUpperCase()}${name.slice(1)}Service` });
  return ServiceLifecycle;
}
