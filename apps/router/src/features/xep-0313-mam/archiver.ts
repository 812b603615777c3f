import { isArchivable, stampStanzaId, stripStanzaIds } from '#libs/archive';
import type { ArchiveConfig } from '#libs/config';
import { newArchiveId, type ArchivedMessage } from '#libs/storage';
import type { RoutedStanza } from '../../core/routed-stanza.js';
import type { RouterContext } from '../../router.context.js';
import { archiveMetrics } from './mam.metrics.js';
import { archivesWithin } from './policy.js';

/** A user archive keeps 1:1 messages (XEP-0313 §5.1.1); groupchat goes to the room's archive. */
const USER_TYPES = ['chat', 'normal'] as const;

/**
 * The recipient's side (a message to a local account, about to be delivered or stored offline):
 * forged stanza-ids by the recipient are removed (XEP-0359 §5) and, when the recipient's archive
 * keeps it, an id is stamped before anyone sees the message (deliveries, carbons, offline store),
 * then appended beside the delivery (`RoutedStanza.writes`): delivery never waits for storage.
 */
export function archiveReceived(ctx: RouterContext, cfg: ArchiveConfig, st: RoutedStanza, owner: string): Promise<void> | undefined {
  if (st.hops > 0) return undefined; // routed again: stamped (and archived) the first time
  const el = st.element();
  const changed = stripStanzaIds(el, owner);
  const archivable = isArchivable(el, USER_TYPES);
  if (!archivable) {
    if (changed) st.env.xml = Buffer.from(el.toString(), 'utf8');
    return undefined;
  }
  return archivesWithin(ctx.storage, cfg, owner, st.from.bare().toString()).then(
    (keep) => {
      if (!keep) {
        if (changed) st.env.xml = Buffer.from(el.toString(), 'utf8');
        return;
      }
      const id = newArchiveId();
      stampStanzaId(el, owner, id);
      const text = el.toString(); // once: the archived record and the delivered bytes are the same
      append(ctx, cfg, st, { owner, id, with: st.from.toString(), timestamp: new Date(), direction: 'in', xml: text });
      st.env.xml = Buffer.from(text, 'utf8');
    },
    (err: unknown) => {
      // preferences unreadable: deliver unarchived rather than delay or lose the message
      archiveMetrics.failed.add();
      ctx.logger.warn({ owner, stanzaId: st.env.id, err: (err as Error).message }, 'archive preferences unreadable or late; message not archived');
      if (changed) st.env.xml = Buffer.from(el.toString(), 'utf8');
    },
  );
}

/**
 * The sender's side (a local client sent it, first routing): archived in the sender's archive with
 * its own stanza-id by the sender. The live message is not changed (the recipient must not see an
 * id of the sender's archive); the sender's other resources see it in their sent carbons
 * (`RoutedStanza.senderCopy`). A message to one's own account is archived once, on receipt.
 */
export async function archiveSent(ctx: RouterContext, cfg: ArchiveConfig, st: RoutedStanza): Promise<void> {
  const owner = st.from.bare().toString();
  const peer = st.to.bare().toString();
  if (peer === owner) return;
  const el = st.element();
  if (!isArchivable(el, USER_TYPES)) return;
  try {
    if (!(await archivesWithin(ctx.storage, cfg, owner, peer))) return;
  } catch (err) {
    archiveMetrics.failed.add();
    ctx.logger.warn({ owner, stanzaId: st.env.id, err: (err as Error).message }, 'archive preferences unreadable or late; message not archived');
    return;
  }
  const copy = el.clone();
  stripStanzaIds(copy, owner);
  const id = newArchiveId();
  stampStanzaId(copy, owner, id);
  st.senderCopy = copy; // the sent carbons carry the sender's id (XEP-0313 §3.5: SHOULD, in the forwarded message)
  append(ctx, cfg, st, { owner, id, with: st.to.toString(), timestamp: new Date(), direction: 'out', xml: copy.toString() });
}

/**
 * The append runs beside the delivery; the sender's Ack waits for it (at most `archive.writeWaitMs`). A store that stays down past
 * its retry budget loses the archive record, never the message: counted and logged (the stamped id
 * then names nothing, and a query for it answers item-not-found).
 */
function append(ctx: RouterContext, cfg: ArchiveConfig, st: RoutedStanza, m: ArchivedMessage): void {
  const write = ctx.storage.archive.append(m).then(
    () => archiveMetrics.archived.add(),
    (err: unknown) => {
      archiveMetrics.failed.add();
      ctx.logger.warn({ owner: m.owner, stanzaId: st.env.id, err: (err as Error).message }, 'message delivered but not archived');
    },
  );
  // the Ack waits at most archive.writeWaitMs; a slower write goes on alone (and may still land)
  let timer: NodeJS.Timeout | undefined;
  const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, cfg.writeWaitMs)));
  st.writes.push(Promise.race([write, bounded]).finally(() => clearTimeout(timer)));
}
