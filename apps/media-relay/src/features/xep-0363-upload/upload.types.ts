import type { GliderConfig } from '#libs/config';

/** `media.upload.*` (libs/config). */
export type UploadSettings = GliderConfig['media']['upload'];

/** Counters behind the glider_media_upload_* metrics. */
export interface UploadStats {
  slots: number;
  slotsRefused: number;
  uploads: number;
  uploadedBytes: number;
  downloads: number;
  /** PUTs refused (bad slot, size, type, quota, reuse). */
  refused: number;
  expired: number;
}

export const UPLOAD_NS = 'urn:xmpp:http:upload:0';
