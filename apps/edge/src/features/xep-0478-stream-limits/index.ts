import { xml } from '#libs/xml';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';

/** XEP-0478 Stream Limits Advertisement: the stanza size and idle time this stream enforces. */
export const streamLimitsFeature: EdgeFeature = {
  name: 'stream-limits',
  spec: { xep: 478, version: '0.2.0' },
  setup: ({ hooks, config }) => [
    hooks.on(
      'stream-features',
      ({ stream, features }) => {
        const limits = xml('limits', { xmlns: NS.streamLimits }, xml('max-bytes', {}, String(stream.xmlLimits().maxStanzaBytes)));
        if (config.edge.idleTimeoutMs > 0) limits.append(xml('idle-seconds', {}, String(Math.floor(config.edge.idleTimeoutMs / 1000))));
        features.append(limits);
      },
      { priority: -10, owner: 'stream-limits' },
    ),
  ],
};
