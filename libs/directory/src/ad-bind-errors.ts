import type { PasswordVerdict } from '#libs/auth';

/**
 * Active Directory puts why a bind failed in the diagnostic message of invalidCredentials (49):
 * "data 52e" wrong password, 525 no such user, 530/531 not allowed now/here, 533 disabled,
 * 701/532 expired account/password, 773 must change password, 775 locked out. Only consulted
 * after the server said 49, so a wrong password still reads as not-authorized.
 */
const AD_DATA = /\bdata ([0-9a-f]{3}),/i;
export function adBindVerdict(message: string): PasswordVerdict {
  const code = AD_DATA.exec(message)?.[1]?.toLowerCase();
  switch (code) {
    case '530':
    case '531':
    case '533':
    case '701':
    case '775':
      return { kind: 'disabled' };
    case '532':
    case '773':
      return { kind: 'expired' };
    default:
      return { kind: 'invalid' };
  }
}
