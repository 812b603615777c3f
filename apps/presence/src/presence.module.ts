import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BUS, type Bus } from '#libs/bus';
import { CONFIG, instanceId, type GliderConfig } from '#libs/config';
import { SESSION_REGISTRY, type SessionRegistry } from '#libs/sessions';
import { STORAGE, type Storage } from '#libs/storage';
import { HEALTH, HealthRegistry, LOGGER, type Logger } from '#libs/telemetry';
import { startPresence, type Presence } from './presence.js';

@Injectable()
export class PresenceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private presence: Presence | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: GliderConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.health.register('presence', () => (this.presence ? undefined : 'starting'));
    this.presence = await startPresence({
      config: this.config,
      logger: this.logger.child({ component: 'presence' }),
      bus: this.bus,
      storage: this.storage,
      registry: this.registry,
      instanceId: instanceId(this.config.presence.id, 'presence'),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.presence?.stop();
  }
}

/** Rosters, subscriptions and presence (RFC 6121 §2-§4). Needs CoreModule. */
@Module({ providers: [PresenceService] })
export class PresenceModule {}
