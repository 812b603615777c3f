import { InProcessBus } from '#libs/bus';
import { runSessionRegistryContract } from './session-registry.contract.js';

runSessionRegistryContract('in-process bus', async () => {
  const bus = new InProcessBus({ logger: { error: () => undefined } });
  return { bus, connect: async () => bus, cleanup: () => bus.close() };
});
