import { counterFamily } from '#libs/telemetry';

/** XEP-0313 archiving outcomes (docs/observability.md lists the glider_* families). */
export const archiveMetrics = {
  archived: counterFamily('glider_archive_appended_total', 'Messages written to a XEP-0313 archive (one per archive: sender and recipient count apart)').bind(),
  failed: counterFamily(
    'glider_archive_failures_total',
    'Messages delivered but not archived: the store failed past its retry budget, or preferences were unreadable',
  ).bind(),
};
