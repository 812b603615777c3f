import { jid, JidError, tryParseJid } from '#libs/jid';

/**
 * A client-supplied authcid as a JID local part (RFC 7622: PRECIS UsernameCaseMapped, via #libs/jid).
 * Returns undefined when the name cannot be a local part. The domain only satisfies the builder.
 */
export function normalizeUsername(raw: string): string | undefined {
  if (raw === '') return undefined;
  try {
    return jid(raw, 'localhost').local;
  } catch (err) {
    if (err instanceof JidError) return undefined;
    throw err;
  }
}

/**
 * PRECIS OpaqueString (RFC 8265 §4.2) for passwords: non-ASCII spaces become U+0020, then NFC.
 * Applied when credentials are made and when PLAIN verifies, so both sides hash the same bytes.
 */
export function saslPrep(password: string): string {
  return password.replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/gu, ' ').normalize('NFC');
}

/** A bare JID written by a client (authzid) in canonical form; undefined when it is not one. */
export function normalizeBareJid(raw: string): string | undefined {
  const parsed = tryParseJid(raw);
  if (!parsed || parsed.local === '' || !parsed.isBare()) return undefined;
  return parsed.toString();
}
