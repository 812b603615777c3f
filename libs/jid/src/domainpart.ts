import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';

const ASCII_HOST = /^[A-Za-z0-9.-]+$/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Domainpart preparation and enforcement (RFC 7622 §3.2): one trailing dot removed, IP literals
 * kept, host names mapped by UTS #46 (lower case, width, A-labels) to U-labels, each label checked
 * against the LDH rule in its ASCII form. Returns the canonical domainpart or throws the reason.
 */
export function enforceDomainpart(input: string): string {
  let s = input.endsWith('.') ? input.slice(0, -1) : input;
  if (s === '') throw new Error('empty domainpart');
  if (s.charCodeAt(0) === 0x5b /* [ */) {
    if (!s.endsWith(']') || !isIPv6(s.slice(1, -1))) throw new Error('invalid IPv6 literal');
    return s.toLowerCase();
  }
  if (isIPv4(s)) return s;
  const ascii = ASCII_HOST.test(s) && !/xn--/i.test(s) ? s.toLowerCase() : domainToASCII(s);
  if (ascii === '') throw new Error('invalid domain name');
  const labels = ascii.split('.');
  for (const label of labels) {
    if (!LDH_LABEL.test(label)) throw new Error(`invalid domain label "${label}"`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) throw new Error('domain name ends in a number');
  s = ascii.includes('xn--') ? domainToUnicode(ascii) : ascii;
  return s;
}
