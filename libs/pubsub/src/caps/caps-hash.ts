import { createHash } from 'node:crypto';
import { NS } from '#libs/stanza';
import type { Element } from '#libs/xml';

/** XEP-0115 §5: the `<c/>` a client puts in its presence. */
export interface CapsRef {
  node: string;
  ver: string;
  /** The hash function (IANA name: sha-1, sha-256 ...); undefined for legacy caps (no hash: not verifiable). */
  hash: string | undefined;
}

/** Hash functions this server verifies (IANA names, XEP-0115 §5.1 uses sha-1; others are allowed). */
const HASHES: Record<string, string> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

export function capsOf(presence: Element): CapsRef | undefined {
  const c = presence.getChild('c', NS.caps);
  const node = c?.attrs.node;
  const ver = c?.attrs.ver;
  if (!c || !node || !ver) return undefined;
  return { node, ver, hash: c.attrs.hash };
}

export function isVerifiableHash(hash: string | undefined): hash is string {
  return hash !== undefined && HASHES[hash] !== undefined;
}

/**
 * XEP-0115 §5.1 verification string of a disco#info answer, or undefined when §5.4 says the answer
 * must not be cached (two identical identities, features or FORM_TYPEs, or a FORM_TYPE that is not
 * a hidden single value).
 */
export function verificationString(query: Element): string | undefined {
  const identities = query
    .getChildren('identity')
    .map((i) => `${i.attrs.category ?? ''}/${i.attrs.type ?? ''}/${i.attrs['xml:lang'] ?? ''}/${i.attrs.name ?? ''}`);
  const features = query.getChildren('feature').map((f) => f.attrs.var ?? '');
  if (new Set(identities).size !== identities.length || new Set(features).size !== features.length) return undefined;
  let s = '';
  for (const i of [...identities].sort(octets)) s += `${i}<`;
  for (const f of [...features].sort(octets)) s += `${f}<`;
  const forms: { type: string; text: string }[] = [];
  for (const x of query.getChildren('x', NS.xdata)) {
    const fields = x.getChildren('field');
    const ft = fields.filter((f) => f.attrs.var === 'FORM_TYPE');
    if (ft.length === 0) continue; // §5.4 3.6: forms without FORM_TYPE are ignored
    if (ft.length > 1 || ft[0]!.getChildren('value').length !== 1 || (ft[0]!.attrs.type !== undefined && ft[0]!.attrs.type !== 'hidden')) return undefined;
    const type = ft[0]!.getChildText('value') ?? '';
    let text = `${type}<`;
    const rest = fields.filter((f) => f.attrs.var !== 'FORM_TYPE').sort((a, b) => octets(a.attrs.var ?? '', b.attrs.var ?? ''));
    for (const f of rest) {
      text += `${f.attrs.var ?? ''}<`;
      for (const v of f
        .getChildren('value')
        .map((e) => e.text())
        .sort(octets))
        text += `${v}<`;
    }
    forms.push({ type, text });
  }
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return undefined;
  for (const f of forms.sort((a, b) => octets(a.type, b.type))) s += f.text;
  return s;
}

/** §5.4: whether a disco#info answer hashes to `ver` with `hash`. */
export function verifyCaps(query: Element, hash: string, ver: string): boolean {
  const algo = HASHES[hash];
  const s = verificationString(query);
  if (!algo || s === undefined) return false;
  return createHash(algo).update(s, 'utf8').digest('base64') === ver;
}

/** §5.1 "sorted using i;octet": by UTF-8 bytes. */
function octets(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
