import { z } from 'zod';

/**
 * `invites`: XEP-0401 / XEP-0445 / XEP-0379 invitations (issue 15 §5, docs/directory.md). Made by
 * admins (gliderctl invite create, the admin API); each lets a newcomer register although open
 * registration stays off, and optionally makes them a contact of the inviter. Its own file so other
 * branches' config additions never touch these lines.
 */
export const invitesSchema = z.strictObject({
  /** Registration with an invite token (stream features urn:xmpp:invite, urn:xmpp:ibr-token:0) only when on. */
  enabled: z.boolean().default(false),
  /** Registrations one invite allows when --uses is not given. */
  defaultUses: z.number().int().min(1).default(1),
  /** Largest --uses accepted. */
  maxUses: z.number().int().min(1).max(10_000).default(1_000),
  /** Lifetime when --expires is not given, in seconds (7 days). */
  defaultExpirySec: z
    .number()
    .int()
    .min(60)
    .default(7 * 86_400),
  /**
   * Shortest --expires accepted, in seconds (1 minute): a link that dies before it can be passed on
   * is a mistake; tests lower it to see expiry through a real client.
   */
  minExpirySec: z.number().int().min(1).default(60),
  /** Longest --expires accepted, in seconds (90 days). */
  maxExpirySec: z
    .number()
    .int()
    .min(60)
    .default(90 * 86_400),
  /**
   * Base of the https landing page link (the edge serves it at /invite on its HTTPS WebSocket
   * listener); default https://<domain>:<edge.wssPort>. Set it behind an ingress.
   */
  landingBaseUrl: z.url().optional(),
});
export type InvitesConfig = z.infer<typeof invitesSchema>;
