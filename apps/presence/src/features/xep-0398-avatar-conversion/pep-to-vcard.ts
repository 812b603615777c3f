import { AVATAR_DATA_NODE, avatarHash, readData, readMetadata, vcardWithPhoto } from '#libs/avatars';
import { StanzaError } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { PresenceContext } from '../../presence.context.js';

/** What a metadata publish did to the vCard (for logs and tests). */
export type VcardOutcome = 'photo-set' | 'photo-removed' | 'unchanged' | 'skipped';

/**
 * XEP-0398 1.0.0 §3.1: a metadata publish on `owner`'s avatar node becomes the vCard's PHOTO. The
 * info without a `url` names the data item; its bytes must hash to that id (the SHA-1 check the
 * XEP recommends), else the vCard is left alone. Empty metadata (XEP-0084 §4.5: avatar disabled)
 * removes the PHOTO; metadata with only external URLs leaves the vCard as it is.
 */
export async function metadataToVcard(ctx: PresenceContext, owner: string, metadata: Element): Promise<VcardOutcome> {
  const meta = readMetadata(metadata);
  if (!meta || meta.kind === 'external') return 'skipped';
  const stored = await ctx.storage.vcards.get(owner);
  const vcard = stored === undefined ? undefined : ctx.parseXml(stored);
  if (meta.kind === 'disabled') {
    if (!vcard?.getChild('PHOTO')) return 'unchanged';
    await ctx.storage.vcards.set(owner, vcardWithPhoto(vcard, undefined).toString());
    return 'photo-removed';
  }
  const items = await ctx.pep.items(owner, AVATAR_DATA_NODE, { ids: [meta.info.id] });
  if (items instanceof StanzaError) return 'skipped';
  const data = items[0]?.payload ? readData(items[0].payload) : undefined;
  if (!data || avatarHash(data) !== meta.info.id) {
    ctx.logger.info({ jid: owner, id: meta.info.id }, 'avatar metadata names no matching data item: vCard left as it is');
    return 'skipped';
  }
  await ctx.storage.vcards.set(owner, vcardWithPhoto(vcard, { type: meta.info.type, data }).toString());
  return 'photo-set';
}
