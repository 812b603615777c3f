import { meter } from '#libs/telemetry';
import type { UploadStats } from './upload.types.js';

/** glider_media_upload_* instruments, read from the feature's counters at collection time (no per-process label: Prometheus's `pod` says which replica). */
export function registerUploadMetrics(stats: UploadStats): () => void {
  const m = meter('glider-media');
  const counters = {
    slots: m.createObservableCounter('glider_media_upload_slots_total', { description: 'XEP-0363 slots handed out' }),
    slotsRefused: m.createObservableCounter('glider_media_upload_slots_refused_total', {
      description: 'Slot requests refused (too large, quota, bad request)',
    }),
    uploads: m.createObservableCounter('glider_media_upload_files_total', { description: 'Files stored by a PUT' }),
    uploadedBytes: m.createObservableCounter('glider_media_upload_bytes_total', { description: 'Bytes stored by PUTs', unit: 'By' }),
    downloads: m.createObservableCounter('glider_media_upload_downloads_total', { description: 'GETs that sent a file or a range of it' }),
    refused: m.createObservableCounter('glider_media_upload_puts_refused_total', { description: 'PUTs refused (bad or used slot, size, type, quota)' }),
    expired: m.createObservableCounter('glider_media_upload_expired_total', { description: 'Files deleted when they expired' }),
  };
  const list = Object.values(counters);
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    for (const [k, c] of Object.entries(counters)) r.observe(c, stats[k as keyof UploadStats]);
  };
  m.addBatchObservableCallback(callback, list);
  return () => m.removeBatchObservableCallback(callback, list);
}
