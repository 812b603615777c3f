/** Longest password accepted (RFC 7622 caps JID parts at 1023 bytes; we use the same bound). */
export const MAX_PASSWORD_BYTES = 1023;

/**
 * Any non-empty password up to MAX_PASSWORD_BYTES UTF-8 bytes (strength is the operator's policy).
 * Returns what is wrong with it, or undefined when it is acceptable.
 */
export function passwordProblem(password: string): string | undefined {
  if (password === '') return 'password must not be empty';
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return `password is longer than ${MAX_PASSWORD_BYTES} bytes`;
  return undefined;
}
