/**
 * PRECIS UsernameCaseMapped (RFC 8265 §3.3) for a JID local part, as far as the platform allows:
 * width mapping (NFKC of full/half-width forms), lower case, NFC, and the characters RFC 7622 §3.3.1
 * forbids in a local part. Returns undefined when the name cannot be a local part.
 */
export function normalizeUsername(raw: string): string | undefined {
  if (raw.length === 0) return undefined;
  const widthMapped = raw.replace(/[\uFF01-\uFF60\uFFE0-\uFFE6\uFF61-\uFFDC]/gu, (c) => c.normalize('NFKC'));
  const mapped = widthMapped.toLowerCase().normalize('NFC');
  if (/[\s"&'/:<>@\u0000-\u001f\u007f]/u.test(mapped)) return undefined;
  if (Buffer.byteLength(mapped, 'utf8') > 1023) return undefined;
  return mapped;
}

/**
 * PRECIS OpaqueString (RFC 8265 §4.2) for passwords: non-ASCII spaces become U+0020, then NFC.
 * Applied when credentials are made and when PLAIN verifies, so both sides hash the same bytes.
 */
export function saslPrep(password: string): string {
  return password.replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/gu, ' ').normalize('NFC');
}

/** Normalises a bare JID written by a client (authzid): local part as above, domain lower case. */
export function normalizeBareJid(raw: string): string | undefined {
  const at = raw.lastIndexOf('@');
  if (at <= 0 || raw.includes('/')) return undefined;
  const local = normalizeUsername(raw.slice(0, at));
  const domain = raw.slice(at + 1).toLowerCase().replace(/\.$/, '');
  if (!local || !domain) return undefined;
  return `${local}@${domain}`;
}
