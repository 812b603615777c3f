import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** A private OpenTelemetry meter with its Prometheus exporter, so a test reads one manager's metrics. */
export function testMeter(): { meter: Meter; text: () => Promise<string> } {
  const exporter = new PrometheusExporter({ preventServerStart: true, prefix: '' });
  const provider = new MeterProvider({ readers: [exporter] });
  return {
    meter: provider.getMeter('glider-operator'),
    text: async () => new PrometheusSerializer('', false).serialize((await exporter.collect()).resourceMetrics),
  };
}
