import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { StorageConflictError, UploadSizeError, type UploadsRepository } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { OCTET_STREAM, DOWNLOAD_SAFETY, byteRange, contentDisposition, corsHeaders, mediaType } from './content-headers.js';
import type { SlotSigner } from './slot-token.js';
import type { UploadStats, UploadSettings } from './upload.types.js';

export interface UploadHttpDeps {
  settings: UploadSettings;
  uploads: UploadsRepository;
  signer: SlotSigner;
  logger: Logger;
  stats: UploadStats;
  now?: () => number;
}

export interface UploadHttp {
  /** The port bound (the configured one, or the free one for port 0). */
  readonly port: number;
  setSecureContext(opts: SecureContextOptions): void;
  close(): Promise<void>;
}

/** `/upload/<slot id>/<file name>`: the path of both URLs of a slot (XEP-0363 §4). */
export const UPLOAD_PATH = '/upload/';

/**
 * The HTTP(S) side of XEP-0363 §6: PUT with a signed slot URL stores the file once; GET and HEAD
 * serve it (ranges, type, disposition) to anyone holding the URL; OPTIONS answers CORS preflights.
 */
export async function startUploadHttp(deps: UploadHttpDeps, tls: SecureContextOptions | undefined): Promise<UploadHttp> {
  const handler = (req: IncomingMessage, res: ServerResponse) => void handle(deps, req, res);
  const server: Server = tls ? createHttps(tls, handler) : createHttp(handler);
  // Expect: 100-continue: the checks run before the client sends a byte of a refused body.
  server.on('checkContinue', handler);
  server.requestTimeout = 0; // a large upload may take long; idleness is what is bounded
  server.headersTimeout = deps.settings.idleTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: deps.settings.host, port: deps.settings.port }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  deps.logger.info({ host: deps.settings.host, port, tls: !!tls }, 'HTTP upload listening');
  return {
    port,
    setSecureContext: (opts) => (server as unknown as { setSecureContext?(o: SecureContextOptions): void }).setSecureContext?.(opts),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(deps: UploadHttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://upload.invalid');
  const cors = corsHeaders(req.headers.origin, deps.settings.corsOrigins);
  for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
  res.setTimeout(deps.settings.idleTimeoutMs, () => req.destroy(new Error('upload idle timeout')));
  try {
    const path = parsePath(url.pathname);
    if (req.method === 'OPTIONS') return end(res, 204);
    if (!path) return fail(req, res, 404, 'no such file');
    if (req.method === 'PUT') return await put(deps, req, res, path, url.searchParams);
    if (req.method === 'GET' || req.method === 'HEAD') return await get(deps, req, res, path);
    res.setHeader('Allow', 'GET, HEAD, PUT, OPTIONS');
    return fail(req, res, 405, `${req.method} is not allowed here`);
  } catch (err) {
    deps.logger.error({ err, method: req.method }, 'upload request failed');
    if (!res.headersSent) fail(req, res, 500, 'the file store failed; try again');
    else res.destroy();
  }
}

function parsePath(pathname: string): { id: string; filename: string } | undefined {
  if (!pathname.startsWith(UPLOAD_PATH)) return undefined;
  const rest = pathname.slice(UPLOAD_PATH.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  try {
    return { id: rest.slice(0, slash), filename: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    return undefined;
  }
}

async function put(deps: UploadHttpDeps, req: IncomingMessage, res: ServerResponse, path: { id: string; filename: string }, q: URLSearchParams): Promise<void> {
  const check = deps.signer.check(path.id, path.filename, q, (deps.now ?? Date.now)());
  if (!check.ok) return reject(deps, req, res, check.status, check.why);
  const g = check.grant;
  const length = req.headers['content-length'];
  if (length === undefined) return reject(deps, req, res, 411, `send Content-Length: ${g.size}`);
  if (Number(length) > g.size) return reject(deps, req, res, 413, `the slot is for ${g.size} bytes, not ${length}`);
  if (Number(length) !== g.size) return reject(deps, req, res, 400, `the slot is for ${g.size} bytes, not ${length}`);
  const sent = mediaType(req.headers['content-type']);
  if (g.contentType && sent !== g.contentType) return reject(deps, req, res, 415, `the slot is for Content-Type ${g.contentType}`);
  if ((await deps.uploads.usage(g.owner)) + g.size > deps.settings.quotaBytesPerUser) return reject(deps, req, res, 507, 'your upload quota is used up');
  if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
  const now = (deps.now ?? Date.now)();
  const record = {
    id: g.id,
    owner: g.owner,
    filename: g.filename,
    contentType: g.contentType || OCTET_STREAM,
    size: g.size,
    createdAt: new Date(now),
    ...(deps.settings.fileTtlMs > 0 ? { expiresAt: new Date(now + deps.settings.fileTtlMs) } : {}),
  };
  try {
    await deps.uploads.put(record, req);
  } catch (err) {
    if (err instanceof StorageConflictError) return reject(deps, req, res, 409, 'this slot was used already; request a new one');
    if (err instanceof UploadSizeError) return reject(deps, req, res, err.received > err.announced ? 413 : 400, err.message);
    throw err;
  }
  deps.stats.uploads++;
  deps.stats.uploadedBytes += g.size;
  end(res, 201);
}

async function get(deps: UploadHttpDeps, req: IncomingMessage, res: ServerResponse, path: { id: string; filename: string }): Promise<void> {
  const file = await deps.uploads.get(path.id);
  // The name is part of the URL handed out: another name is another (absent) file.
  if (!file || file.filename !== path.filename) return fail(req, res, 404, 'no such file (it may have expired)');
  const range = byteRange(req.headers.range, file.size);
  const headers: Record<string, string | number> = {
    ...DOWNLOAD_SAFETY,
    'Content-Type': file.contentType,
    'Content-Disposition': contentDisposition(file.contentType, file.filename),
    'Accept-Ranges': 'bytes',
    ETag: `"${file.id}"`,
    'Last-Modified': file.createdAt.toUTCString(),
    'Cache-Control': 'private, max-age=86400',
  };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}`, 'Content-Length': 0 });
    return void res.end();
  }
  const { start, end: last } = range ?? { start: 0, end: file.size - 1 };
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Length': last - start + 1,
    ...(range ? { 'Content-Range': `bytes ${start}-${last}/${file.size}` } : {}),
  });
  if (req.method === 'HEAD' || file.size === 0) return void res.end();
  const body = await deps.uploads.read(file.id, start, last);
  deps.stats.downloads++;
  body.on('error', (err) => {
    deps.logger.warn({ err: err.message, id: file.id }, 'download interrupted');
    res.destroy(err);
  });
  body.pipe(res);
}

/** A refused PUT: the answer, then the connection closes so an unread body is never read. */
function reject(deps: UploadHttpDeps, req: IncomingMessage, res: ServerResponse, status: number, why: string): void {
  deps.stats.refused++;
  deps.logger.debug({ status, why }, 'upload refused');
  res.setHeader('Connection', 'close');
  fail(req, res, status, why);
}

function fail(_req: IncomingMessage, res: ServerResponse, status: number, why: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${why}\n`);
}

function end(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}
