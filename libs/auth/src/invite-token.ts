import { createHash, randomBytes } from 'node:crypto';

/** 128 random bits, base64url (22 characters): what an invite link carries. */
export function newInviteToken(): string {
  return randomBytes(16).toString('base64url');
}

/** What storage keeps for an invite token (its id): hex SHA-256, so a listing cannot become a working link. */
export function inviteTokenId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
