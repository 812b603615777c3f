import { counterFamily } from '#libs/telemetry';

const notifications = counterFamily(
  'glider_push_notifications_total',
  'XEP-0357 publishes to app servers by outcome: published (answered with a result), error (an IQ error), timeout (no answer in publishTimeoutMs), unreachable (the route to the app server failed), refused (maxPending reached)',
);

/** XEP-0357 outcomes (docs/observability.md lists the glider_* families). */
export const pushMetrics = {
  published: notifications.bind({ outcome: 'published' }),
  error: notifications.bind({ outcome: 'error' }),
  timeout: notifications.bind({ outcome: 'timeout' }),
  unreachable: notifications.bind({ outcome: 'unreachable' }),
  refused: notifications.bind({ outcome: 'refused' }),
  disabled: counterFamily(
    'glider_push_registrations_disabled_total',
    'XEP-0357 registrations removed because their app server answered a publish with an error (§7.1)',
  ).bind(),
};

export type PushOutcome = 'published' | 'error' | 'timeout' | 'unreachable' | 'refused';
