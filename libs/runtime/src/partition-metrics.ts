import { meter } from '#libs/telemetry';

interface Source {
  service: string;
  backlog(): { waiting: number; settling: number };
}

const sources = new Set<Source>();
let registered = false;

/**
 * glider_bus_partition_backlog_messages{service} (frames received and waiting for their partition's
 * turn) and glider_bus_frames_settling{service} (frames handled whose Ack awaits delivery
 * acknowledgements), summed over the partitioned services of this process (router, presence; both
 * in standalone). One instrument per name for the process, whatever the number of services.
 * Returns the unregistration of `source`.
 */
export function registerPartitionMetrics(source: Source): () => void {
  if (!registered) {
    registered = true;
    const m = meter('glider-partitions');
    const waiting = m.createObservableGauge('glider_bus_partition_backlog_messages', {
      description: "Frames received on this process's partitions and waiting their turn, by service",
    });
    const settling = m.createObservableGauge('glider_bus_frames_settling', {
      description: 'Frames handled whose acknowledgement awaits their deliveries, by service',
    });
    m.addBatchObservableCallback(
      (r) => {
        const by = new Map<string, { waiting: number; settling: number }>();
        for (const s of sources) {
          const b = s.backlog();
          const sum = by.get(s.service) ?? { waiting: 0, settling: 0 };
          by.set(s.service, { waiting: sum.waiting + b.waiting, settling: sum.settling + b.settling });
        }
        for (const [service, b] of by) {
          r.observe(waiting, b.waiting, { service });
          r.observe(settling, b.settling, { service });
        }
      },
      [waiting, settling],
    );
  }
  sources.add(source);
  return () => sources.delete(source);
}
