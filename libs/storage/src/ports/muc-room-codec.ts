import { z } from 'zod';
import type { MucRoomRecord } from './muc-rooms.repository.js';

/** The stored shape of a room (both backends keep it as one JSON document): checked on every read. */
export const mucRoomShape = z.object({
  jid: z.string().min(1),
  config: z.object({
    name: z.string(),
    description: z.string(),
    persistent: z.boolean(),
    public: z.boolean(),
    membersOnly: z.boolean(),
    moderated: z.boolean(),
    password: z.string(),
    maxUsers: z.number().int().min(0),
    whois: z.enum(['moderators', 'anyone']),
    historyLength: z.number().int().min(0),
    allowPm: z.enum(['anyone', 'participants', 'moderators', 'none']),
    allowInvites: z.boolean(),
    changeSubject: z.boolean(),
    enableLogging: z.boolean(),
    allowVoiceRequests: z.boolean().optional(),
  }),
  affiliations: z.array(
    z.object({
      jid: z.string().min(1),
      affiliation: z.enum(['owner', 'admin', 'member', 'outcast']),
      nick: z.string().optional(),
      reason: z.string().optional(),
    }),
  ),
  subject: z.object({ text: z.string(), nick: z.string(), at: z.coerce.date() }).optional(),
  locked: z.boolean(),
  salt: z.string().min(1),
  createdAt: z.coerce.date(),
});

/** The JSON text a room is stored as (dates as ISO strings). */
export function encodeMucRoom(room: MucRoomRecord): string {
  return JSON.stringify(room);
}

/** Parses a stored room; throws (zod's reason) when it does not have the expected shape. */
export function decodeMucRoom(data: unknown): MucRoomRecord {
  return mucRoomShape.parse(typeof data === 'string' ? JSON.parse(data) : data);
}
