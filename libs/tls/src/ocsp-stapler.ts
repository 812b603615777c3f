import { createHash } from 'node:crypto';
import { buildOcspRequest, isSuccessfulOcspResponse, ocspUrlOf } from './ocsp-request.js';

export interface OcspStaplerOptions {
  /** A staple is fetched again once it is this old (served meanwhile). */
  refreshMs: number;
  /** How long a handshake waits for the responder before going on without a staple. */
  timeoutMs: number;
  /** After a failed fetch, handshakes go without a staple this long before the next try. */
  retryMs: number;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  now?: () => number;
}

interface Entry {
  response?: Buffer;
  fetchedAt: number;
  failedAt?: number;
  /** The certificate names no OCSP responder: never ask. */
  noResponder?: boolean;
  inflight?: Promise<void>;
}

type OcspCallback = (err: Error | null, response?: Buffer) => void;

/**
 * OCSP stapling (RFC 6066 §8 status_request) for Node's TLS servers: handles their `OCSPRequest`
 * event. The first handshake after start (or after `refreshMs`) asks the responder named in the
 * certificate's AIA extension, waiting at most `timeoutMs`; the answer is cached per certificate
 * and stapled to every handshake until it is refreshed. No AIA OCSP URL or no issuer in the chain:
 * no staple, no request. A responder that fails is asked again after `retryMs`; meanwhile the last
 * good staple (if any) is still served.
 */
export class OcspStapler {
  private readonly cache = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: OcspStaplerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The listener for `server.on('OCSPRequest', ...)`. */
  readonly onOcspRequest = (certificate: Buffer, issuer: Buffer | null, callback: OcspCallback): void => {
    this.staple(certificate, issuer).then(
      (response) => callback(null, response),
      () => callback(null),
    );
  };

  async staple(certificate: Buffer, issuer: Buffer | null): Promise<Buffer | undefined> {
    if (!issuer) return undefined;
    const key = createHash('sha256').update(certificate).digest('hex');
    let entry = this.cache.get(key);
    const now = this.now();
    if (!entry) {
      if (this.cache.size >= 16) this.cache.clear(); // one or two certificates in practice (rotation)
      entry = { fetchedAt: 0 };
      this.cache.set(key, entry);
    }
    const stale = !entry.response || now - entry.fetchedAt >= this.opts.refreshMs;
    const resting = entry.noResponder === true || (entry.failedAt !== undefined && now - entry.failedAt < this.opts.retryMs);
    if (stale && !resting) entry.inflight ??= this.fetch(entry, certificate, issuer).finally(() => (entry.inflight = undefined));
    if (entry.inflight && !entry.response) await withTimeout(entry.inflight, this.opts.timeoutMs);
    return entry.response;
  }

  private async fetch(entry: Entry, certificate: Buffer, issuer: Buffer): Promise<void> {
    let url: string | undefined;
    try {
      url = ocspUrlOf(certificate);
      if (!url) {
        entry.noResponder = true;
        return;
      }
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
        body: new Uint8Array(buildOcspRequest(certificate, issuer)),
        signal: AbortSignal.timeout(Math.max(this.opts.timeoutMs, 1000) * 4),
      });
      const body = Buffer.from(await res.arrayBuffer());
      if (!res.ok || !isSuccessfulOcspResponse(body)) throw new Error(`OCSP responder answered ${res.status} without a successful response`);
      entry.response = body;
      entry.fetchedAt = this.now();
      entry.failedAt = undefined;
      this.opts.logger?.info({ url, bytes: body.length }, 'OCSP staple fetched');
    } catch (err) {
      entry.failedAt = this.now();
      this.opts.logger?.warn({ url, err: (err as Error).message }, 'OCSP staple not fetched; handshakes go without it for now');
    }
  }
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
