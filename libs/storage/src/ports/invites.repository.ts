/**
 * One invitation (XEP-0401 easy onboarding, XEP-0379 pre-authenticated roster subscription) as
 * stored: never the token itself, only `id` = hex SHA-256 of the token (libs/admin invite tokens), so
 * a stolen database or an admin listing cannot be turned into a working link.
 */
export interface Invite {
  id: string;
  /** The domain the invitee registers on. */
  domain: string;
  /** Bare JID the new user and who become contacts (XEP-0379); none = account invite only. */
  inviter?: string;
  /** Roster group the contact is put in (both sides), e.g. a team name. */
  group?: string;
  /** Registrations still allowed with it (counts down from the `--uses` it was made with). */
  usesLeft: number;
  maxUses: number;
  createdAt: Date;
  expiresAt: Date;
}

/** Why a token cannot be used (the router's registration answers each with its own error). */
export type InviteUse = { kind: 'ok'; invite: Invite } | { kind: 'unknown' } | { kind: 'used-up' } | { kind: 'expired' };

export interface InvitesRepository {
  /** A new invite; its id is unique (StorageConflictError otherwise). */
  create(invite: Invite): Promise<void>;
  get(id: string): Promise<Invite | undefined>;
  /** Atomically takes one use if it is neither used up nor expired at `now`: two registrations racing for a last use get one 'ok'. */
  use(id: string, now: Date): Promise<InviteUse>;
  /** Gives a use back (the registration it was taken for failed after all, e.g. the username was taken). */
  release(id: string): Promise<void>;
  /** Invites of a domain (every domain when undefined), oldest first, expired ones included. */
  list(domain?: string): Promise<Invite[]>;
  /** Deletes it; false when there was none. */
  revoke(id: string): Promise<boolean>;
  /** Account removal: invites that would subscribe newcomers to the removed account go with it. */
  deleteByInviter(inviter: string): Promise<void>;
}
