import { z } from 'zod';

/** `features.push` (XEP-0357); README.md says what each one is for. */
export const pushConfigSchema = z.strictObject({
  /** Answer <enable/>/<disable/> and advertise urn:xmpp:push:0 on accounts; publish notifications. */
  enabled: z.boolean().default(false),
  /** Registrations (app server JID + node) one account may hold; past it <enable/> gets <resource-constraint/>. */
  maxRegistrationsPerAccount: z.number().int().min(1).max(100).default(5),
  /** How long an app server has to answer a publish; past it the notification is counted as timed out. */
  publishTimeoutMs: z.number().int().min(100).default(15_000),
  /** Publishes awaiting an answer in one router; past it new notifications are refused (logged and counted). */
  maxPending: z.number().int().min(1).default(10_000),
  /** Put the message body in the summary (`last-message-body`): off, the body never leaves the server (§9). */
  includeBody: z.boolean().default(false),
  /** Longest body sent when includeBody is on (characters; a longer one is cut). */
  maxBodyChars: z.number().int().min(1).max(4096).default(256),
  /** Largest publish-options form an <enable/> may carry (bytes of its XML). */
  maxPublishOptionsBytes: z.number().int().min(64).max(65_536).default(4096),
});
export type PushConfig = z.infer<typeof pushConfigSchema>;
