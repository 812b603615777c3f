import { StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { IqAnswer } from '#libs/xmpp-kit';
import type { UploadsRepository } from '#libs/storage';
import type { MediaIqRequest } from '../../media-relay.context.js';
import { cleanFilename, mediaType } from './content-headers.js';
import { newSlotId, type SlotSigner } from './slot-token.js';
import { UPLOAD_NS, type UploadSettings, type UploadStats } from './upload.types.js';
import { UPLOAD_PATH } from './upload-http.js';

export interface SlotDeps {
  settings: UploadSettings;
  uploads: UploadsRepository;
  signer: SlotSigner;
  stats: UploadStats;
  localDomains: string[];
  /** Base URL (no trailing slash) the slots of a local domain point at. */
  baseUrl(domain: string): string;
  now?: () => number;
}

/** XEP-0363 §4: a slot request → a signed PUT URL and the GET URL; §5's errors as values. */
export function slotRequestHandler(deps: SlotDeps): (req: MediaIqRequest) => Promise<IqAnswer> {
  return async (req) => {
    const answer = await slot(deps, req);
    if (answer instanceof StanzaError) deps.stats.slotsRefused++;
    else deps.stats.slots++;
    return answer;
  };
}

async function slot(deps: SlotDeps, req: MediaIqRequest): Promise<Element | StanzaError> {
  const { settings } = deps;
  const p = req.payload;
  if (p.name !== 'request') return new StanzaError('bad-request', { text: 'expected <request/>' });
  // §4: only the server's own users; a remote user would fill this server's disk.
  if (!req.from.local || !deps.localDomains.includes(req.from.domain))
    return new StanzaError('not-allowed', { text: 'only users of this server may upload here' });
  const filename = cleanFilename(p.attrs.filename ?? '', settings.maxFilenameBytes);
  if (!filename) return new StanzaError('bad-request', { text: 'the request needs a filename' });
  const size = /^[0-9]{1,16}$/.test(p.attrs.size ?? '') ? Number(p.attrs.size) : NaN;
  if (!Number.isSafeInteger(size) || size < 1) return new StanzaError('bad-request', { text: 'the request needs a size in bytes (at least 1)' });
  const announced = p.attrs['content-type'];
  const contentType = announced === undefined || announced === '' ? '' : mediaType(announced);
  if (contentType === undefined) return new StanzaError('bad-request', { text: `"${announced}" is not a media type` });
  if (size > settings.maxFileBytes) {
    // §5 (Example 5): the largest size allowed, so the client can tell the user.
    const tooLarge = xml('file-too-large', { xmlns: UPLOAD_NS }, xml('max-file-size', {}, String(settings.maxFileBytes)));
    return new StanzaError('not-acceptable', {
      type: 'modify',
      text: `the file is larger than the ${settings.maxFileBytes} bytes allowed`,
      appCondition: tooLarge,
    });
  }
  const owner = req.from.bare().toString();
  const used = await deps.uploads.usage(owner);
  if (used + size > settings.quotaBytesPerUser) {
    // §5 (Example 6): a quota; no <retry/>, since no file of the user is known to expire at a given time.
    return new StanzaError('resource-constraint', { type: 'wait', text: `your quota of ${settings.quotaBytesPerUser} bytes would be exceeded (${used} used)` });
  }
  const now = (deps.now ?? Date.now)();
  const grant = { id: newSlotId(), filename, owner, size, contentType, expires: now + settings.slotTtlMs };
  const get = `${deps.baseUrl(req.domain)}${UPLOAD_PATH}${grant.id}/${encodeURIComponent(filename)}`;
  const put = `${get}?${deps.signer.query(grant).toString()}`;
  return xml('slot', { xmlns: UPLOAD_NS }, xml('put', { url: put }), xml('get', { url: get }));
}
