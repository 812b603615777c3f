/** The media type grammar of RFC 9110 §8.3.1, without parameters (they are dropped). */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,127}\/[a-z0-9!#$&^_.+-]{1,127}$/;

/** Types a browser may show in place; everything else is served as an attachment (XEP-0363 §11). */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|heic|heif|bmp)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|text\/plain)$/;

export const OCTET_STREAM = 'application/octet-stream';

/** A Content-Type as announced or sent, lower-cased and without parameters; undefined when not a media type. */
export function mediaType(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const t = raw.split(';', 1)[0]!.trim().toLowerCase();
  return MEDIA_TYPE.test(t) ? t : undefined;
}

/**
 * A file name as stored and put in URLs: path separators, control and bidi-override characters
 * removed (they would fake another name or break the signature's field join), trimmed, at most
 * `maxBytes` UTF-8 bytes. Undefined when nothing usable is left.
 */
export function cleanFilename(raw: string, maxBytes: number): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  let name = raw.replace(/[\u0000-\u001f\u007f/\\\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (name === '' || name === '.' || name === '..') return undefined;
  while (Buffer.byteLength(name, 'utf8') > maxBytes) name = [...name].slice(0, -1).join('');
  return name === '' ? undefined : name;
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the RFC 8187 UTF-8 name. */
export function contentDisposition(type: string, filename: string): string {
  const kind = INLINE.test(type) ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** Headers every download carries: no sniffing, no scripts, even when a type is served inline. */
export const DOWNLOAD_SAFETY: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Referrer-Policy': 'no-referrer',
};

/** CORS for web clients (Fetch standard): the configured origins may PUT and GET. */
export function corsHeaders(origin: string | undefined, allowed: string[]): Record<string, string> {
  if (!origin) return {};
  const any = allowed.includes('*');
  if (!any && !allowed.includes(origin)) return {};
  return {
    'Access-Control-Allow-Origin': any ? '*' : origin,
    ...(any ? {} : { Vary: 'Origin' }),
    'Access-Control-Allow-Methods': 'GET, HEAD, PUT, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type',
    'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges, Content-Disposition, ETag',
    'Access-Control-Max-Age': '86400',
  };
}

/** One `bytes=` range (RFC 9110 §14.1.2) of a file of `size` bytes: inclusive bounds, 'unsatisfiable', or undefined to send it whole. */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // several ranges or another unit: the whole file
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
