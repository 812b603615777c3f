import { enforceDomainpart } from './domainpart.js';
import { JidError } from './jid-error.js';
import { LruCache } from './lru-cache.js';
import { enforceLocalpart, enforceResourcepart } from './precis-profiles.js';

const MAX_PART_BYTES = 1023; // RFC 7622 §3.1
const CACHE_SIZE = 4096;
const MAX_INPUT = 4 * 3 * MAX_PART_BYTES;
// Already-canonical ASCII parts take no PRECIS work: lower-case localpart without the RFC 7622
// §3.3.1 exclusions, printable-ASCII resourcepart (OpaqueString leaves those unchanged).
const ASCII_LOCAL = /^[!#-%(-.0-9;=?A-~]+$/;
const ASCII_RESOURCE = /^[ -~]+$/;

/**
 * An XMPP address (RFC 7622) in canonical form: parts are enforced once at construction, so
 * comparing two Jids is comparing strings. Missing local and resource parts are ''.
 */
export class Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
  private readonly str: string;
  /** bare()'s answer once asked (a router asks it several times per stanza); a #field, so deepEqual of two Jids ignores it. */
  #bare: Jid | undefined;

  /** Parts must already be enforced: use parseJid or jid(). */
  private constructor(local: string, domain: string, resource: string) {
    this.local = local;
    this.domain = domain;
    this.resource = resource;
    const bare = local === '' ? domain : local + '@' + domain;
    this.str = resource === '' ? bare : bare + '/' + resource;
    this.#bare = resource === '' ? this : undefined;
  }

  /** @internal */
  static canonical(local: string, domain: string, resource: string): Jid {
    return new Jid(local, domain, resource);
  }

  bare(): Jid {
    return (this.#bare ??= new Jid(this.local, this.domain, ''));
  }

  isBare(): boolean {
    return this.resource === '';
  }

  withResource(resource: string): Jid {
    return new Jid(this.local, this.domain, resource === '' ? '' : part(resource, 'resource'));
  }

  equals(o: Jid | undefined): boolean {
    return o !== undefined && o.local === this.local && o.domain === this.domain && o.resource === this.resource;
  }

  toString(): string {
    return this.str;
  }

  toJSON(): string {
    return this.toString();
  }
}

function part(value: string, which: 'local' | 'domain' | 'resource'): string {
  let out: string;
  if (which === 'local' && ASCII_LOCAL.test(value)) out = value.toLowerCase();
  else if (which === 'resource' && ASCII_RESOURCE.test(value)) out = value;
  else {
    try {
      out = which === 'local' ? enforceLocalpart(value) : which === 'domain' ? enforceDomainpart(value) : enforceResourcepart(value);
    } catch (err) {
      throw new JidError((err as Error).message);
    }
  }
  if (out.length > MAX_PART_BYTES / 3 && Buffer.byteLength(out) > MAX_PART_BYTES) throw new JidError(`${which}part longer than ${MAX_PART_BYTES} bytes`);
  return out;
}

const cache = new LruCache<string, Jid>(CACHE_SIZE);

/** Parses a JID string (RFC 7622 §3.1: resource from the first '/', then local up to the first '@'). */
export function parseJid(s: string): Jid {
  const hit = cache.get(s);
  if (hit !== undefined) return hit;
  // No valid JID is this long (three parts of at most 1023 bytes): refuse before any PRECIS work.
  if (s.length > MAX_INPUT) throw new JidError('JID too long');
  const slash = s.indexOf('/');
  const head = slash < 0 ? s : s.slice(0, slash);
  const at = head.indexOf('@');
  if (slash >= 0 && slash === s.length - 1) throw new JidError('empty resourcepart');
  if (at === 0) throw new JidError('empty localpart');
  const local = at < 0 ? '' : part(head.slice(0, at), 'local');
  const domain = part(at < 0 ? head : head.slice(at + 1), 'domain');
  const resource = slash < 0 ? '' : part(s.slice(slash + 1), 'resource');
  const j = Jid.canonical(local, domain, resource);
  cache.set(s, j);
  return j;
}

export function tryParseJid(s: string): Jid | undefined {
  try {
    return parseJid(s);
  } catch (err) {
    if (err instanceof JidError) return undefined;
    throw err;
  }
}

/** Builds a JID from separate parts, enforcing each (an empty local or resource means none). */
export function jid(local: string | undefined, domain: string, resource?: string): Jid {
  return Jid.canonical(
    local === undefined || local === '' ? '' : part(local, 'local'),
    part(domain, 'domain'),
    resource === undefined || resource === '' ? '' : part(resource, 'resource'),
  );
}
