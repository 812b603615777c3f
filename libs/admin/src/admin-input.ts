import { normalizeUsername, passwordProblem } from '#libs/auth';
import { invalid } from './admin-error.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface AccountName {
  username: string;
  domain: string;
  bare: string;
}

/** A bare JID of an account this server hosts, normalised; INVALID_ARGUMENT naming what is wrong. */
export function accountName(raw: unknown, domains: readonly string[]): AccountName {
  if (typeof raw !== 'string' || raw === '') throw invalid('jid is required (e.g. alice@example.com)');
  const at = raw.lastIndexOf('@');
  if (at <= 0 || at === raw.length - 1) throw invalid(`"${raw}" is not a bare JID of the form user@domain`);
  if (raw.includes('/')) throw invalid(`"${raw}" has a resource; give the bare JID user@domain`);
  const username = normalizeUsername(raw.slice(0, at));
  if (!username) throw invalid(`"${raw}": "${raw.slice(0, at)}" is not a valid JID local part (RFC 7622)`);
  const domain = raw
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  if (!domains.includes(domain)) throw invalid(`"${raw}": this server does not serve the domain ${domain} (it serves ${domains.join(', ')})`);
  return { username, domain, bare: `${username}@${domain}` };
}

export function servedDomain(raw: unknown, domains: readonly string[]): string {
  const domain = typeof raw === 'string' ? raw.toLowerCase().replace(/\.$/, '') : '';
  if (!domain) throw invalid('domain is required');
  if (!domains.includes(domain)) throw invalid(`this server does not serve the domain ${domain} (it serves ${domains.join(', ')})`);
  return domain;
}

/** The shared password policy (#libs/auth passwordProblem): strength belongs to the operator. */
export function password(raw: unknown): string {
  const problem = typeof raw === 'string' ? passwordProblem(raw) : 'password must not be empty';
  if (problem) throw invalid(problem);
  return raw as string;
}

export function pageSize(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : 0;
  if (n === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE_SIZE) throw invalid(`page_size must be between 1 and ${MAX_PAGE_SIZE}`);
  return n;
}

/** Page tokens are opaque to clients: the last local part of the previous page, base64url. */
export function encodePageToken(after: string): string {
  return Buffer.from(after, 'utf8').toString('base64url');
}

export function decodePageToken(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid('page_token is not one this server gave out');
  return Buffer.from(raw, 'base64url').toString('utf8');
}
