import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a PUT URL grants, signed: this file, this size and type, for this user, until `expires`. */
export interface SlotGrant {
  id: string;
  filename: string;
  /** Bare JID of the requester (quota). */
  owner: string;
  size: number;
  /** The content-type the request announced; '' when it announced none. */
  contentType: string;
  /** Unix ms after which the PUT is refused. */
  expires: number;
}

export type GrantCheck = { ok: true; grant: SlotGrant } | { ok: false; status: 403 | 410; why: string };

/** A new slot id: 144 random bits, URL-safe (XEP-0363 §8: paths nobody can guess). */
export const newSlotId = (): string => randomBytes(18).toString('base64url');

const VERSION = 'v1';

/**
 * Signs and checks PUT URLs with HMAC-SHA256 over every field of the grant, so a forged, altered or
 * expired URL is refused without any lookup (every replica holds the same key). The query carries
 * the fields; the path carries id and filename.
 */
export class SlotSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the upload signing key must have at least 32 bytes');
  }

  query(g: SlotGrant): URLSearchParams {
    return new URLSearchParams({ v: VERSION, owner: g.owner, size: String(g.size), type: g.contentType, expires: String(g.expires), sig: this.sign(g) });
  }

  /** Checks a PUT's path fields and query against its signature; `now` in unix ms. */
  check(id: string, filename: string, q: URLSearchParams, now: number): GrantCheck {
    const sig = q.get('sig');
    if (q.get('v') !== VERSION || !sig) return { ok: false, status: 403, why: 'the URL carries no upload slot signature' };
    const size = Number(q.get('size'));
    const expires = Number(q.get('expires'));
    const grant: SlotGrant = { id, filename, owner: q.get('owner') ?? '', size, contentType: q.get('type') ?? '', expires };
    if (!Number.isSafeInteger(size) || !Number.isSafeInteger(expires)) return { ok: false, status: 403, why: 'the upload slot is malformed' };
    const expected = Buffer.from(this.sign(grant), 'base64url');
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 403, why: 'the upload slot signature is not valid' };
    if (now > expires) return { ok: false, status: 410, why: 'the upload slot has expired; request a new one' };
    return { ok: true, grant };
  }

  private sign(g: SlotGrant): string {
    const fields = [VERSION, g.id, g.filename, g.owner, String(g.size), g.contentType, String(g.expires)];
    // A field cannot contain \n unescaped (filenames are cleaned of control characters), so the join is unambiguous.
    return createHmac('sha256', this.key).update(fields.join('\n')).digest('base64url');
  }
}
