import { NS } from '#libs/stanza';
import { loadOrCreateCertificate, serverTlsPolicy, watchCertificate } from '#libs/tls';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { MediaContext } from '../../media-relay.context.js';
import { uploadSigningKey } from './signing-key.js';
import { slotRequestHandler } from './slot-request.js';
import { SlotSigner } from './slot-token.js';
import { startUploadHttp } from './upload-http.js';
import { registerUploadMetrics } from './upload.metrics.js';
import { startUploadSweeper } from './upload-sweeper.js';
import { UPLOAD_NS, type UploadStats } from './upload.types.js';

/**
 * XEP-0363 HTTP File Upload v1.1.0 on upload.<domain>: slots over XMPP (§4, §5), the files over
 * HTTPS on media-relay's own listener (§6), stored in libs/storage `uploads` (disk or GridFS).
 * Off with media.upload.enabled=false: nothing listens, nothing is declared or listed.
 */
export const uploadFeature: FeatureDefinition<MediaContext> = {
  name: 'upload',
  spec: { xep: 363, version: '1.1.0' },
  setup: async (ctx) => {
    const settings = ctx.config.media.upload;
    if (!settings.enabled) return [];
    const stats: UploadStats = { slots: 0, slotsRefused: 0, uploads: 0, uploadedBytes: 0, downloads: 0, refused: 0, expired: 0 };
    const signer = new SlotSigner(await uploadSigningKey(ctx.bus));
    const cert = settings.tls ? await loadOrCreateCertificate(ctx.config, ctx.logger) : undefined;
    const tlsOptions = (pair: { key: string; cert: string }) => ({
      key: pair.key,
      cert: pair.cert,
      minVersion: ctx.config.tls.minVersion,
      ...serverTlsPolicy(ctx.config.tls.ciphers),
    });
    const http = await startUploadHttp({ settings, uploads: ctx.storage.uploads, signer, logger: ctx.logger, stats }, cert && tlsOptions(cert));
    const watch =
      cert && ctx.config.tls.watch
        ? watchCertificate(cert, (pair) => http.setSecureContext(tlsOptions(pair)), {
            onError: (err) => ctx.logger.warn({ err: err.message }, 'certificate watch problem'),
          })
        : undefined;
    const scheme = settings.tls ? 'https' : 'http';
    const baseUrl = (domain: string) => settings.publicUrl?.replace(/\/+$/, '') ?? `${scheme}://${ctx.config.media.publicHost ?? domain}:${http.port}`;
    // §3: the maximum file size in a XEP-0128 form, so clients check before asking.
    const form = xml(
      'x',
      { xmlns: NS.xdata, type: 'result' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, UPLOAD_NS)),
      xml('field', { var: 'max-file-size' }, xml('value', {}, String(settings.maxFileBytes))),
    );
    const upload = ctx.components.add({
      label: 'upload',
      identity: { category: 'store', type: 'file', name: 'HTTP File Upload' },
      discoFeatures: [UPLOAD_NS],
      infoForms: () => [form],
    });
    const handler = slotRequestHandler({ settings, uploads: ctx.storage.uploads, signer, stats, localDomains: ctx.config.domains, baseUrl });
    const stopSweeper = startUploadSweeper(ctx.storage.uploads, settings.sweepIntervalMs, stats, ctx.logger);
    return [
      upload.iq.register('get', UPLOAD_NS, handler, { server: true }, 'upload'),
      upload.remove,
      stopSweeper,
      registerUploadMetrics(stats),
      () => {
        watch?.stop();
        void http.close();
      },
    ];
  },
};
