/**
 * A username goes into LDAP filters and DNs; escaped so it can never change their structure
 * (`*)(uid=*` must not match everyone).
 */

/** RFC 4515 §3: `*`, `(`, `)`, `\` and NUL as \XX in a filter's assertion value. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RFC 4514 §2.4: special characters of an attribute value in a DN, leading '#' or space, trailing space. */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[,+"\\<>;=\0]/g, (c) => (c === '\0' ? '\\00' : `\\${c}`));
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Fills `{username}` in a filter (escaped for filters) or a DN pattern (escaped for DNs). */
export function fillFilter(template: string, username: string): string {
  return template.split('{username}').join(escapeFilterValue(username));
}

export function fillDn(template: string, username: string): string {
  return template.split('{username}').join(escapeDnValue(username));
}
