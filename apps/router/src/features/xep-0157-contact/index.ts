import { dataForm, type FormField } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RouterContext } from '../../router.context.js';

/** XEP-0157 §3: the FORM_TYPE of the server's contact-address form (XEP-0128 extended info). */
export const SERVERINFO_NS = 'http://jabber.org/network/serverinfo';

const ROLES = ['abuse', 'admin', 'feedback', 'sales', 'security', 'status', 'support'] as const;

/**
 * XEP-0157 (1.1.1) contact addresses: `contactAddresses.<domain>` from config as the serverinfo
 * form in that domain's disco#info; a domain with no address gets no form (§3: only fields with
 * values are useful; an empty form would advertise nothing).
 */
export const contactAddressesFeature: FeatureDefinition<RouterContext> = {
  name: 'contact-addresses',
  spec: { xep: 157, version: '1.1.1' },
  dependsOn: ['disco'],
  setup: (ctx) => [
    ctx.discoNodes.registerInfoForm((domain) => {
      const addresses = ctx.config.contactAddresses[domain];
      if (!addresses) return undefined;
      const fields: FormField[] = ROLES.filter((r) => addresses[r].length > 0).map((r) => ({
        var: `${r}-addresses`,
        type: 'list-multi',
        values: addresses[r],
      }));
      return fields.length > 0 ? dataForm('result', { formType: SERVERINFO_NS, fields }) : undefined;
    }),
  ],
};
