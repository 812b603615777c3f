import { AVATAR_DATA_NODE, AVATAR_METADATA_NODE, avatarItems, photoOf, readMetadata } from '#libs/avatars';
import type { PepService } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';

/** What a vCard set did to the avatar nodes (for logs and tests). */
export type PepOutcome = 'published' | 'disabled' | 'unchanged';

/**
 * XEP-0398 1.0.0 §3.2: a vCard set with a photo publishes the image to the owner's
 * 'urn:xmpp:avatar:data' node (item id = its SHA-1), then one info for it to
 * 'urn:xmpp:avatar:metadata', which notifies the subscribers. Nothing is published when the metadata
 * already names that image (a client re-saving its vCard for another field). A vCard without a
 * PHOTO element, where the metadata named one, disables the avatar (XEP-0084 §4.5: empty metadata).
 * Returns a StanzaError when PEP refused a publish.
 */
export async function vcardToPep(pep: PepService, owner: string, vcard: Element): Promise<PepOutcome | StanzaError> {
  const photo = photoOf(vcard);
  const current = await pep.items(owner, AVATAR_METADATA_NODE, { max: 1 });
  const meta = current instanceof StanzaError || !current[0]?.payload ? undefined : readMetadata(current[0].payload);
  if (!photo) {
    // A PHOTO the server cannot use (only an EXTVAL link, or not base64) says nothing about the
    // avatar: only a vCard without any PHOTO takes it away.
    if (meta?.kind !== 'inline' || vcard.getChild('PHOTO')) return 'unchanged';
    const off = await pep.publish(owner, AVATAR_METADATA_NODE, { payload: xml('metadata', { xmlns: AVATAR_METADATA_NODE }) });
    return off instanceof StanzaError ? off : 'disabled';
  }
  const items = avatarItems(photo);
  if (meta?.kind === 'inline' && meta.info.id === items.id) return 'unchanged';
  const data = await pep.publish(owner, AVATAR_DATA_NODE, { id: items.id, payload: items.data });
  if (data instanceof StanzaError) return data;
  const metadata = await pep.publish(owner, AVATAR_METADATA_NODE, { id: items.id, payload: items.metadata });
  return metadata instanceof StanzaError ? metadata : 'published';
}
