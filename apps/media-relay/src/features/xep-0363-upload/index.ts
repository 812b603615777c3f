import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { MediaContext } from '../../media-relay.context.js';

/**
 * XEP-0363 HTTP File Upload v1.1.0 on upload.<domain> (§2: the service is discovered as an item of
 * the server with identity store/file). Skeleton: the component only; slots come next.
 */
export const uploadFeature: FeatureDefinition<MediaContext> = {
  name: 'upload',
  spec: { xep: 363, version: '1.1.0' },
  setup: (ctx) => {
    if (!ctx.config.media.upload.enabled) return [];
    const upload = ctx.components.add({ label: 'upload', identity: { category: 'store', type: 'file', name: 'HTTP File Upload' }, discoFeatures: [] });
    return [upload.remove];
  },
};
