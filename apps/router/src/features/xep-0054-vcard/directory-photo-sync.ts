import { avatarHash, photoOf, vcardWithPhoto } from '#libs/avatars';
import type { DirectoryUsers } from '#libs/directory';
import { tryParseJid } from '#libs/jid';
import type { PepService } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import type { Registration } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';
import { withDirectoryFields } from './directory-vcard.js';
import { vcardToPep } from './vcard-to-pep.js';

/**
 * A directory photo reaches the clients that never fetch vCards: when a directory user comes
 * online, a photo in their entry that differs from the stored vCard's is written into it (XEP-0153:
 * presence carries the hash of the stored photo) and published as the XEP-0084 avatar (XEP-0398
 * §3.2; nothing when PEP already names that image). An entry without a photo changes nothing: the
 * user's own avatar stays. Runs beside the partition (a slow directory never holds up the login's
 * offline flush); a failure is logged.
 */
export function syncDirectoryPhotos(ctx: RouterContext, directory: DirectoryUsers, pep: PepService | undefined): Registration {
  return ctx.hooks.on(
    'session:available',
    ({ jid }) => {
      const bare = tryParseJid(jid)?.bare();
      if (!bare?.local || !directory.fillsVcards(bare.domain)) return 'continue';
      void syncDirectoryPhoto(ctx, directory, pep, bare.local, bare.domain).catch((err: Error) =>
        ctx.logger.warn({ jid: bare.toString(), err: err.message }, 'vCard: directory photo not synchronised at login'),
      );
      return 'continue';
    },
    { owner: 'vcard' },
  );
}

/** One user's photo sync (exported for its spec). */
export async function syncDirectoryPhoto(
  ctx: RouterContext,
  directory: DirectoryUsers,
  pep: PepService | undefined,
  local: string,
  domain: string,
): Promise<void> {
  const profile = await directory.profile(local, domain);
  if (!profile?.photo) return;
  const owner = `${local}@${domain}`;
  const text = await ctx.storage.vcards.get(owner);
  const stored = text ? ctx.parseXml(text) : undefined;
  const current = stored ? photoOf(stored) : undefined;
  if (!current || avatarHash(current.data) !== avatarHash(profile.photo.data))
    await ctx.storage.vcards.set(owner, vcardWithPhoto(stored, profile.photo).toString());
  if (!pep) return;
  const outcome = await vcardToPep(pep, owner, withDirectoryFields(stored, profile));
  if (outcome instanceof StanzaError) ctx.logger.warn({ jid: owner, condition: outcome.condition }, 'vCard: directory photo not published to PEP (XEP-0398)');
}
