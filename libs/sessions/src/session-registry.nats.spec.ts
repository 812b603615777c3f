import { after, before } from 'node:test';
import { NatsBus, type Bus } from '#libs/bus';
import { startNatsServer, type NatsServer } from '#libs/testing';
import { runSessionRegistryContract } from './session-registry.contract.js';

let server: NatsServer;
before(async () => {
  server = await startNatsServer({ jetstream: true });
});
after(async () => {
  await server?.stop();
});

runSessionRegistryContract('NATS bus', async () => {
  const opened: Bus[] = [];
  const open = async (): Promise<Bus> => {
    const b = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, { error: () => undefined });
    opened.push(b);
    return b;
  };
  return { bus: await open(), connect: open, cleanup: async () => void (await Promise.all(opened.map((b) => b.close()))) };
});
