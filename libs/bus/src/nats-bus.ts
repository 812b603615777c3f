import type { GliderConfig } from '#libs/config';
import type { Bus } from './bus.js';
import type { BusLogger } from './bus-logger.js';

export class NatsBus {
  static async connect(_config: GliderConfig['bus'], _logger: BusLogger): Promise<Bus> {
    throw new Error('NATS bus: not implemented yet');
  }
}
