import { xml } from '#libs/xml';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';

/**
 * RFC 6121 §2.6.1 and §3.4: tells an authenticated client that the presence service supports
 * roster versioning and subscription pre-approval (both served by apps/presence).
 */
export const rosterFeaturesFeature: EdgeFeature = {
  name: 'roster-features',
  spec: { rfc: 6121, section: '2.6.1, 3.4' },
  setup: ({ hooks }) => [
    hooks.on(
      'stream-features',
      ({ stream, features }) => {
        if (stream.state !== 'authenticated') return;
        features.append(xml('ver', { xmlns: NS.rosterVersioning }));
        features.append(xml('sub', { xmlns: NS.preApproval }));
      },
      { priority: -5, owner: 'roster-features' },
    ),
  ],
};
