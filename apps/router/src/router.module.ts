import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BUS, type Bus } from '#libs/bus';
import { CONFIG, instanceId, type GliderConfig } from '#libs/config';
import { SESSION_REGISTRY, type SessionRegistry } from '#libs/sessions';
import { STORAGE, type Storage } from '#libs/storage';
import { HEALTH, HealthRegistry, LOGGER, type Logger } from '#libs/telemetry';
import { startRouter, type Router } from './router.js';

@Injectable()
export class RouterService implements OnApplicationBootstrap, OnApplicationShutdown {
  private router: Router | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: GliderConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.health.register('router', () => (this.router ? undefined : 'starting'));
    this.router = await startRouter({
      config: this.config,
      logger: this.logger.child({ component: 'router' }),
      bus: this.bus,
      storage: this.storage,
      registry: this.registry,
      instanceId: instanceId(this.config.router.id, 'router'),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.router?.stop();
  }
}

/** Routing (RFC 6120 §10, RFC 6121 §8), server IQs and offline storage. Needs CoreModule. */
@Module({ providers: [RouterService] })
export class RouterModule {}
