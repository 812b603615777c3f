import { ResultCodeError } from 'ldapts';
import type { DirectoryVcardConfig, LdapConfig } from '#libs/config';
import { fillDn, fillFilter } from './ldap-escape.js';
import type { LdapPool } from './ldap-pool.js';

/** The vCard fields a directory can fill (keys of `directory.domains.<d>.vcard.attributes`). */
export type ProfileField = 'fn' | 'given' | 'family' | 'nickname' | 'email' | 'tel' | 'org' | 'orgUnit' | 'title' | 'role';

/** What the directory says about one user: text fields and a photo, each only when the entry has it. */
export interface DirectoryProfile {
  fields: Partial<Record<ProfileField, string>>;
  photo?: { type: string; data: Buffer };
}

/**
 * Reads one user's entry (found as at login: `userFilter` under `userBase` as the service account,
 * or the `userDnPattern` DN) and maps the configured attributes. Undefined when the directory has
 * no such user. The username is escaped (RFC 4515 / 4514) like a login's.
 */
export async function readDirectoryProfile(
  pool: LdapPool,
  ldap: LdapConfig,
  cfg: DirectoryVcardConfig,
  username: string,
): Promise<DirectoryProfile | undefined> {
  const { photo: photoAttr, ...text } = cfg.attributes;
  const attributes = [...new Set([...Object.values(text), ...(photoAttr ? [photoAttr] : [])])].filter((a): a is string => !!a);
  if (attributes.length === 0) return { fields: {} };
  return pool.use(async (conn) => {
    await conn.asService();
    const options = { attributes, explicitBufferAttributes: photoAttr ? [photoAttr] : [] };
    let entries;
    try {
      ({ searchEntries: entries } = ldap.userDnPattern
        ? await conn.ldap.search(fillDn(ldap.userDnPattern, username), { ...options, scope: 'base', filter: '(objectClass=*)' })
        : await conn.ldap.search(ldap.userBase!, { ...options, scope: 'sub', filter: fillFilter(ldap.userFilter, username), sizeLimit: 2 }));
    } catch (err) {
      // noSuchObject (32) for a DN pattern; sizeLimitExceeded (4): the filter is ambiguous, as at login.
      if (err instanceof ResultCodeError && (err.code === 32 || err.code === 4)) return undefined;
      throw err;
    }
    if (entries.length !== 1) return undefined;
    const entry = entries[0]!;
    const fields: DirectoryProfile['fields'] = {};
    for (const [field, attr] of Object.entries(text) as [ProfileField, string | undefined][]) {
      const v = attr ? firstText(entry[attr]) : undefined;
      if (v) fields[field] = v;
    }
    const image = photoAttr ? firstBuffer(entry[photoAttr]) : undefined;
    const type = image ? imageType(image) : undefined;
    // An image we cannot name, or one too big for a vCard (and the stanza limits), is left out.
    const photo = image && type && image.length <= cfg.maxPhotoBytes ? { type, data: image } : undefined;
    return photo ? { fields, photo } : { fields };
  });
}

function firstText(v: unknown): string | undefined {
  const x: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
  if (typeof x === 'string') return x.trim() || undefined;
  return Buffer.isBuffer(x) ? x.toString('utf8').trim() || undefined : undefined;
}

function firstBuffer(v: unknown): Buffer | undefined {
  const x: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
  return Buffer.isBuffer(x) && x.length > 0 ? x : undefined;
}

/** JPEG (jpegPhoto, AD thumbnailPhoto) or PNG, by their magic bytes. */
function imageType(data: Buffer): string | undefined {
  if (data.length > 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length > 8 && data.readUInt32BE(0) === 0x89504e47) return 'image/png';
  return undefined;
}
