import { after, before } from 'node:test';
import { startNatsServer, type NatsServer } from '#libs/testing';
import type { Bus } from './bus.js';
import { quietLogger, runBusContract } from './bus.contract.js';
import { NatsBus } from './nats-bus.js';

let server: NatsServer;
before(async () => {
  server = await startNatsServer({ jetstream: true });
});
after(async () => {
  await server?.stop();
});

runBusContract('NATS', async () => {
  const opened: Bus[] = [];
  const open = async (): Promise<Bus> => {
    const b = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, quietLogger());
    opened.push(b);
    return b;
  };
  const bus = await open();
  return {
    bus,
    connect: open,
    cleanup: async () => {
      await Promise.all(opened.map((b) => b.close()));
    },
  };
});
