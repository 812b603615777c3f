import { after, before } from 'node:test';
import { InProcessBus, NatsBus, type Bus } from '#libs/bus';
import { startNatsServer, type NatsServer } from '#libs/testing';
import { runDirectoryContract } from './service-directory.contract.js';

const quiet = { error: () => undefined };

runDirectoryContract('the in-process bus', async () => {
  const bus = new InProcessBus();
  return { connect: async () => bus, cleanup: () => bus.close() };
});

let server: NatsServer;
before(async () => {
  server = await startNatsServer({ jetstream: true });
});
after(async () => {
  await server?.stop();
});

runDirectoryContract('NATS', async () => {
  const opened: Bus[] = [];
  return {
    connect: async () => {
      const b = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, quiet);
      opened.push(b);
      return b;
    },
    cleanup: async () => {
      await Promise.all(opened.map((b) => b.close()));
    },
  };
});
