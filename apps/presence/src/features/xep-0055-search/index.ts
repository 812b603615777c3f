import { z } from 'zod';
import { DirectoryUsers } from '#libs/directory';
import type { FeatureDefinition, Registration } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';
import { localBackend } from './local-backend.js';
import { directoryBackend, type SearchBackend } from './search-backends.js';
import { serveSearch } from './search-service.js';

const config = z.strictObject({
  /** Off by default: a user directory lists people to every user of the domain. */
  enabled: z.boolean().default(false),
  /** The service lives on <subdomain>.<domain> (listed in the domain's disco#items, XEP-0030). */
  subdomain: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default('search'),
  /** At most this many hits per search (the directory is asked for one more, to know there are more). */
  maxResults: z.number().int().min(1).max(1_000).default(50),
  /** A search text longer than this is refused (not-acceptable). */
  maxFieldChars: z.number().int().min(1).default(100),
  /** Searches one process runs at once; more are answered resource-constraint (wait). */
  maxConcurrent: z.number().int().min(1).default(8),
  /** Local accounts (domains without a directory): read this many a page, at most `localScanLimit` per search. */
  localPageSize: z.number().int().min(1).default(500),
  localScanLimit: z.number().int().min(1).default(10_000),
  /** Local accounts: stored vCards read per search (to match first/last/nick/email/fn and show them). */
  localVcardScanLimit: z.number().int().min(1).default(2_000),
});

export type SearchConfig = z.infer<typeof config>;

/**
 * XEP-0055 Jabber Search 1.2 with XEP-0004 forms (issue 15): a user directory on
 * `search.<domain>` for each local domain, over the domain's LDAP directory
 * (`directory.domains.<domain>`, fields in `.search.fields`) or, without one, its local accounts.
 * Only that domain's accounts may search it. Declared (and so listed in disco#items) only when on.
 */
export const searchFeature: FeatureDefinition<PresenceContext, SearchConfig> = {
  name: 'search',
  spec: { xep: 55, version: '1.2' },
  config,
  setup: (ctx, cfg) => {
    if (!cfg.enabled) return [];
    const regs: Registration[] = [];
    const slots = { running: 0 };
    const directory = Object.keys(ctx.config.directory.domains).length > 0 ? new DirectoryUsers(ctx.config.directory) : undefined;
    if (directory) regs.push(() => void directory.close());
    for (const domain of ctx.config.domains) {
      let backend: SearchBackend;
      if (directory?.has(domain)) {
        const fields = directory.searchFields(domain);
        if (!fields) {
          // Direct bind by DN pattern: no userBase to search under.
          ctx.logger.warn({ domain }, 'search: the directory of this domain has no ldap.userBase; no user search served for it');
          continue;
        }
        backend = directoryBackend(directory, domain, fields);
      } else
        backend = localBackend(ctx.storage, domain, (x) => ctx.parseXml(x), {
          pageSize: cfg.localPageSize,
          scanLimit: cfg.localScanLimit,
          vcardScanLimit: cfg.localVcardScanLimit,
        });
      regs.push(serveSearch(ctx, `${cfg.subdomain}.${domain}`, domain, backend, cfg, slots));
    }
    return regs;
  },
};
