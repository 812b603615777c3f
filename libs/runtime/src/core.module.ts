import { Global, Module, type DynamicModule } from '@nestjs/common';
import { BUS, createBus, type Bus } from '#libs/bus';
import { CONFIG, loadConfig, type GliderConfig } from '#libs/config';
import { SESSION_REGISTRY, createSessionRegistry } from '#libs/sessions';
import { STORAGE, createStorage, type Storage } from '#libs/storage';
import { HEALTH, HealthRegistry, LOGGER, rootLogger, type Logger } from '#libs/telemetry';
import { CoreLifecycle } from './core.lifecycle.js';

export interface CoreOptions {
  /** edge | router | presence | standalone: names the service in logs and telemetry. */
  role: string;
  /** Applied over file and env (tests, standalone's edge workers). */
  overrides?: Record<string, unknown>;
  /** The bus to use instead of `config.bus` (standalone's edge workers: a PortBus to the primary). */
  bus?: () => Bus;
  /** Serve /healthz and /metrics (default true; an edge worker's are served by its primary). */
  http?: boolean;
  /**
   * How this process knows who is online (default `watch`): `watch` keeps every session of the
   * cluster in a cache fed by a watch of the registry's bucket, as routing, presence and the edge's
   * per-account limit need; `lookup` reads the records it is asked for and caches those only, for a
   * service that looks up a few sessions and learns from a failed delivery that one moved (muc), or
   * none (media-relay). Each watching process takes every registry write of the cluster as a bus
   * message: about three per login.
   */
  sessions?: 'watch' | 'lookup';
}

/**
 * What every app needs, once per process: config, logger, health, the bus, storage and the session
 * registry. Global, so that `standalone` shares one of each between edge, router and presence.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(options: CoreOptions): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: 'GLIDER_CORE_OPTIONS', useValue: options },
        { provide: CONFIG, useFactory: () => loadConfig({ overrides: options.overrides }) },
        {
          provide: LOGGER,
          inject: [CONFIG],
          useFactory: (config: GliderConfig) => rootLogger(config.log.level, `glider-${options.role}`),
        },
        { provide: HEALTH, useFactory: () => new HealthRegistry() },
        {
          provide: BUS,
          inject: [CONFIG, LOGGER, HEALTH],
          useFactory: async (config: GliderConfig, logger: Logger, health: HealthRegistry) => {
            const bus = options.bus ? options.bus() : await createBus(config.bus, logger.child({ component: 'bus' }));
            health.register('bus', () => bus.health());
            return bus;
          },
        },
        {
          provide: STORAGE,
          inject: [CONFIG, LOGGER, HEALTH],
          useFactory: async (config: GliderConfig, logger: Logger, health: HealthRegistry) => {
            const storage = await createStorage(config, logger.child({ component: 'storage' }));
            health.register('storage', () => storage.health());
            return storage;
          },
        },
        {
          provide: SESSION_REGISTRY,
          inject: [BUS, LOGGER, CONFIG],
          useFactory: async (bus: Bus, logger: Logger, config: GliderConfig) => {
            // NATS 2.9 keeps a delete marker per ended session: routers (and standalone) purge
            // them; the other roles leave it to them so the bucket is not scanned N times over.
            const purge = options.role === 'router' || options.role === 'standalone' ? config.bus.sessionMarkerPurgeMs : 0;
            const registry = createSessionRegistry(bus, { logger: logger.child({ component: 'sessions' }), purgeDeletesEveryMs: purge });
            if (options.sessions !== 'lookup') await registry.start();
            return registry;
          },
        },
        CoreLifecycle,
      ],
      exports: [CONFIG, LOGGER, HEALTH, BUS, STORAGE, SESSION_REGISTRY],
    };
  }
}

export type { Storage };
