import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Server } from 'node:http';
import { BUS, type Bus } from '#libs/bus';
import { CONFIG, type GliderConfig } from '#libs/config';
import { SESSION_REGISTRY, type SessionRegistry } from '#libs/sessions';
import { STORAGE, type Storage } from '#libs/storage';
import { HEALTH, HealthRegistry, LOGGER, startHttpServer, type Logger } from '#libs/telemetry';
import { registerCoreMetrics } from './core.metrics.js';

/**
 * Opens storage (retrying in the background while it is unreachable, unready meanwhile), serves
 * /healthz and /metrics, and closes everything in reverse order at shutdown.
 */
@Injectable()
export class CoreLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private http: Server | undefined;
  private opening: Promise<void> | undefined;
  private stopped = false;
  private storageProblem: string | undefined = 'storage not opened yet';
  private unregisterMetrics: (() => void) | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: GliderConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(SESSION_REGISTRY) private readonly sessions: SessionRegistry,
    @Inject('GLIDER_CORE_OPTIONS') private readonly options: { role: string; http?: boolean },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.health.register('storage-open', () => this.storageProblem);
    this.opening = this.openStorage();
    this.unregisterMetrics = registerCoreMetrics(this.bus, this.storage, this.config.storage.kind, () => this.storageProblem === undefined);
    if (this.options.http === false) return;
    const { server, port } = await startHttpServer(this.health, this.config.http.host, this.config.http.port);
    this.http = server;
    this.logger.info({ port, role: this.options.role }, 'health and metrics on /healthz/live, /healthz/ready, /metrics');
  }

  private async openStorage(): Promise<void> {
    let delay = 500;
    while (!this.stopped) {
      try {
        await this.storage.open();
        this.storageProblem = undefined;
        return;
      } catch (err) {
        this.storageProblem = `storage unavailable: ${(err as Error).message}`;
        this.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'storage unavailable; unready until it opens');
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unregisterMetrics?.();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.http?.closeAllConnections?.();
    await this.sessions.stop().catch((err) => this.logger.warn({ err }, 'session registry stop failed'));
    await this.bus.close().catch((err) => this.logger.warn({ err }, 'bus close failed'));
    await this.storage.close().catch((err) => this.logger.warn({ err }, 'storage close failed'));
  }
}
