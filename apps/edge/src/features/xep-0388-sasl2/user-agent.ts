import { NS } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { UserAgent } from '../../edge.hooks.js';

/** Longest user-agent id, software or device name kept (XEP-0388 sets none; they are for display and keys). */
const MAX_FIELD = 256;

/**
 * XEP-0388 §initiation: `<user-agent id>` with optional `<software/>` and `<device/>`. The id SHOULD
 * be a UUIDv4; any other non-empty string up to MAX_FIELD characters is taken as it is (clients differ),
 * a longer one is ignored (the attempt then has no client identity: no FAST token, no stable resource).
 */
export function parseUserAgent(el: Element | undefined): UserAgent | undefined {
  if (!el) return undefined;
  const ua: UserAgent = {};
  const id = el.attrs.id?.trim();
  if (id && id.length <= MAX_FIELD) ua.id = id;
  const software = el.getChildText('software', NS.sasl2)?.trim();
  if (software) ua.software = software.slice(0, MAX_FIELD);
  const device = el.getChildText('device', NS.sasl2)?.trim();
  if (device) ua.device = device.slice(0, MAX_FIELD);
  return ua;
}
