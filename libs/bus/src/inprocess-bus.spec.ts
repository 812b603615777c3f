import { runBusContract, quietLogger } from './bus.contract.js';
import { InProcessBus } from './inprocess-bus.js';

runBusContract('in-process', async () => {
  const bus = new InProcessBus({ logger: quietLogger() });
  return { bus, connect: async () => bus, cleanup: () => bus.close() };
});
