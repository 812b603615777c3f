import type { Bus } from '#libs/bus';
import type { Storage } from '#libs/storage';
import { meter } from '#libs/telemetry';

/**
 * What every process reports about its connections to NATS and to storage, read at collection time:
 * glider_bus_connected and glider_storage_up (1 or 0, the same answers as /healthz/ready's checks),
 * glider_bus_requests_in_flight. No process labels: Prometheus's job and pod say which process. Returns the
 * unregistration.
 */
export function registerCoreMetrics(bus: Bus, storage: Storage, backend: string, storageOpen: () => boolean): () => void {
  const m = meter('glider-core');
  const busConnected = m.createObservableGauge('glider_bus_connected', { description: '1 while the process is connected to its bus (NATS), else 0' });
  const inFlight = m.createObservableGauge('glider_bus_requests_in_flight', { description: 'Bus requests sent and not yet answered' });
  const storageUp = m.createObservableGauge('glider_storage_up', {
    description: '1 while storage is open and answers its health check (MongoDB reachable, the embedded file readable), else 0; by backend',
  });
  const callback = async (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): Promise<void> => {
    r.observe(busConnected, bus.health() === undefined ? 1 : 0);
    r.observe(inFlight, bus.requestsInFlight?.() ?? 0);
    let up = storageOpen();
    if (up) up = (await storage.health().catch((err: unknown) => String(err))) === undefined;
    r.observe(storageUp, up ? 1 : 0, { backend });
  };
  const observables = [busConnected, inFlight, storageUp];
  m.addBatchObservableCallback(callback, observables);
  return () => m.removeBatchObservableCallback(callback, observables);
}
