import { z } from 'zod';
import { vcardWithPhoto } from '#libs/avatars';
import { DirectoryUnavailableError, DirectoryUsers, type DirectoryProfile } from '#libs/directory';
import type { Jid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition, Registration } from '#libs/xmpp-kit';
import { routerPep } from '../../core/router-pep.js';
import type { RouterContext } from '../../router.context.js';
import { syncDirectoryPhotos } from './directory-photo-sync.js';
import { userPart, withDirectoryFields } from './directory-vcard.js';
import { vcardToPep } from './vcard-to-pep.js';

export const VCARD_NS = NS.vcard;

const config = z.strictObject({
  /** Largest vCard stored, serialised (avatars in PHOTO make them big). */
  maxBytes: z
    .number()
    .int()
    .min(1)
    .default(128 * 1024),
  /**
   * XEP-0398 §3.2: a vCard set with a PHOTO also publishes it as the XEP-0084 avatar (PEP), so
   * clients that read only PEP avatars see it. The PEP → vCard direction is presence's
   * `features.avatarConversion`.
   */
  toPep: z.boolean().default(true),
});

/**
 * XEP-0054: anyone reads an account's vCard; only the owner sets it (and, XEP-0398, its photo goes
 * to PEP). On a domain with `directory.domains.<domain>.vcard`, the fields the directory has are
 * the directory's (directory-vcard.ts) and read-only.
 */
export const vcardFeature: FeatureDefinition<RouterContext, z.infer<typeof config>> = {
  name: 'vcard',
  spec: { xep: 54, version: '1.2' },
  discoFeatures: [VCARD_NS],
  config,
  setup: (ctx, cfg) => {
    // The router's own handle on PEP (libs/pubsub keeps its state in storage and the bus KV).
    const pep = cfg.toPep ? routerPep(ctx) : undefined; // none while features.pubsub.enabled is off
    const fromDirectory = Object.values(ctx.config.directory.domains).some((d) => d.vcard);
    const directory = fromDirectory ? new DirectoryUsers(ctx.config.directory) : undefined;
    const regs: Registration[] = directory ? [() => void directory.close(), syncDirectoryPhotos(ctx, directory, pep)] : [];
    /** The directory's fields of a user, undefined when not a directory user, or the error to answer. */
    const profileOf = async (jid: Jid): Promise<DirectoryProfile | undefined | StanzaError> => {
      if (!directory?.fillsVcards(jid.domain) || !jid.local) return undefined;
      try {
        return await directory.profile(jid.local, jid.domain);
      } catch (err) {
        // Never read, or the cached copy is gone: the vCard cannot be told without the directory.
        ctx.logger.warn({ jid: jid.toString(), err: (err as Error).message }, 'vCard: the directory cannot be read');
        if (err instanceof DirectoryUnavailableError)
          return new StanzaError('remote-server-timeout', { text: 'the company directory cannot be reached; try again later' });
        return new StanzaError('service-unavailable', { text: 'the company directory refused the read' });
      }
    };
    return [
      ...regs,
      ctx.iq.register(
        'get',
        VCARD_NS,
        async ({ to }) => {
          const stored = await ctx.storage.vcards.get(to.toString());
          const profile = await profileOf(to);
          if (profile instanceof StanzaError) return profile;
          const saved = stored ? ctx.parseXml(stored) : undefined;
          if (profile) return withDirectoryFields(saved, profile);
          // No vCard yet: an empty one (XEP-0054 §3.1 allows it, and clients handle it best).
          return saved ?? xml('vCard', { xmlns: VCARD_NS });
        },
        { account: true },
        'vcard',
      ),
      ctx.iq.register(
        'set',
        VCARD_NS,
        async ({ own, payload, to }) => {
          if (!own) return new StanzaError('forbidden');
          const profile = await profileOf(to);
          if (profile instanceof StanzaError) return profile;
          const kept = profile ? userPart(payload, profile) : payload;
          if (kept instanceof StanzaError) return kept;
          // The directory's photo is kept in the stored copy too: XEP-0153 hashes it from there.
          const serialised = (profile?.photo ? vcardWithPhoto(kept, profile.photo) : kept).toString();
          if (Buffer.byteLength(serialised) > cfg.maxBytes)
            return new StanzaError('not-acceptable', { type: 'modify', text: `vCard larger than ${cfg.maxBytes} bytes` });
          await ctx.storage.vcards.set(to.toString(), serialised);
          if (pep) {
            // The vCard is stored either way; a refused PEP copy is logged, not the client's error.
            const outcome = await vcardToPep(pep, to.toString(), profile ? withDirectoryFields(kept, profile) : payload);
            if (outcome instanceof StanzaError)
              ctx.logger.warn({ jid: to.toString(), condition: outcome.condition }, 'vCard photo not published to PEP (XEP-0398)');
          }
          return undefined;
        },
        { account: true },
        'vcard',
      ),
    ];
  },
};
