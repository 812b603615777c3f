import type { GliderConfig } from '#libs/config';
import type { Bus } from './bus.js';
import type { BusLogger } from './bus-logger.js';
import { InProcessBus } from './inprocess-bus.js';

/** The bus the config asks for: in-process (standalone) or NATS (connected before this resolves). */
export async function createBus(config: GliderConfig['bus'], logger: BusLogger): Promise<Bus> {
  if (config.kind === 'inprocess') return new InProcessBus({ logger });
  const { NatsBus } = await import('./nats-bus.js');
  return NatsBus.connect(config, logger);
}
