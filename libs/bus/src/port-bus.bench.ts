/**
 * What the cross-thread hop costs: request/reply between two edges' worth of traffic, once on the
 * in-process bus (one thread) and once with the responder in a worker thread over a PortBus.
 * `node dist/libs/bus/src/port-bus.bench.js [requests] [window]`; prints requests/s and the CPU
 * µs per request of the whole process (all threads).
 */
import { MessageChannel, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Bus } from './bus.js';
import { InProcessBus } from './inprocess-bus.js';
import { PortBus } from './port-bus.js';
import { PortBusHost } from './port-bus-host.js';

const SUBJECT = 'bench.echo';
const payload = new Uint8Array(300).fill(60); // about a chat message's frame

function respond(bus: Bus): void {
  bus.subscribe(SUBJECT, (m) => m.respond(m.data.subarray(0, 8)));
}

async function drive(bus: Bus, total: number, window: number): Promise<{ perSecond: number; cpuUs: number }> {
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      await bus.request(SUBJECT, payload, { timeoutMs: 10_000 });
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: Math.round((total / ms) * 1000), cpuUs: Math.round(((cpu.user + cpu.system) / total) * 10) / 10 };
}

if (isMainThread) {
  const total = Number(process.argv[2] ?? 200_000);
  const window = Number(process.argv[3] ?? 100);
  const local = new InProcessBus();
  respond(local);
  await drive(local, Math.min(total, 20_000), window); // warm-up
  const one = await drive(local, total, window);
  console.log(`in-process, one thread:        ${one.perSecond} req/s, ${one.cpuUs} CPU µs per request`);
  await local.close();

  const host = new InProcessBus();
  const { port1, port2 } = new MessageChannel();
  const bridge = new PortBusHost(host, port1, { error: (o) => console.error(o) });
  const worker = new Worker(new URL(import.meta.url), { workerData: { port: port2 }, transferList: [port2] });
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  await drive(host, Math.min(total, 20_000), window);
  const two = await drive(host, total, window);
  console.log(`responder in a worker (port):  ${two.perSecond} req/s, ${two.cpuUs} CPU µs per request (all threads)`);
  await bridge.detach();
  await worker.terminate();
  await host.close();
} else {
  const bus = new PortBus((workerData as { port: MessagePort }).port);
  respond(bus);
  await bus.flush();
  parentPort!.postMessage('ready');
}
