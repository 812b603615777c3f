import { MessageChannel } from 'node:worker_threads';
import { runBusContract, quietLogger } from './bus.contract.js';
import { InProcessBus } from './inprocess-bus.js';
import { PortBus } from './port-bus.js';
import { PortBusHost } from './port-bus-host.js';

// Every connection is a PortBus over its own MessageChannel to one host bus: what crosses the port
// is structured-cloned exactly as between threads (port-bus.worker.spec.ts runs one in a real Worker).
runBusContract('port (MessagePort to an in-process host)', async () => {
  const host = new InProcessBus({ logger: quietLogger() });
  const hosts: PortBusHost[] = [];
  const clients: PortBus[] = [];
  const connect = async (): Promise<PortBus> => {
    const { port1, port2 } = new MessageChannel();
    hosts.push(new PortBusHost(host, port1, quietLogger()));
    const bus = new PortBus(port2, quietLogger());
    clients.push(bus);
    return bus;
  };
  const bus = await connect();
  return {
    bus,
    connect,
    cleanup: async () => {
      for (const c of clients) await c.close();
      for (const h of hosts) await h.detach();
      await host.close();
    },
  };
});
