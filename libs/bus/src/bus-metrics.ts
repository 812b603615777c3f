import { histogramFamily } from '#libs/telemetry';

/**
 * glider_bus_request_duration_seconds{result}: a request from its publish to its reply (`ok`), its
 * timeout (`timeout`), the server's no-responders answer (`no_responders`) or a failure to send
 * (`error`). No subject label: subjects carry partitions and edge ids (unbounded series).
 */
const family = histogramFamily('glider_bus_request_duration_seconds', 'Bus requests until answered, by result', 'seconds');
export const busRequestTimers = {
  ok: family.bind({ result: 'ok' }),
  timeout: family.bind({ result: 'timeout' }),
  noResponders: family.bind({ result: 'no_responders' }),
  error: family.bind({ result: 'error' }),
};
