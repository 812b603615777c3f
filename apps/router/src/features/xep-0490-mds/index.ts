import { z } from 'zod';
import type { PepService } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { RoutedStanza } from '../../core/routed-stanza.js';
import { routerPep } from '../../core/router-pep.js';
import type { RouterContext } from '../../router.context.js';

export const MDS_NODE = 'urn:xmpp:mds:displayed:0';
export const MDS_SERVER_ASSIST = 'urn:xmpp:mds:server-assist:0';

/** XEP-0490 §4.2 publish-options (and §7: a node the server creates gets them: private, one item per chat). */
export const MDS_PUBLISH_OPTIONS = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};

/** Before XEP-0313 archiving (100) and carbons (0): §6.2 strips the element before both. */
const BEFORE_ARCHIVE = 200;

const config = z.strictObject({
  /** XEP-0490 §4.5 server assist: `<displayed xmlns='urn:xmpp:mds:displayed:0'/>` in a sent message updates the node. */
  serverAssist: z.boolean().default(true),
});

/**
 * XEP-0490 Message Displayed Synchronization 1.0.1, the server's optional part (§4.5 server
 * assist): a message a user's client sends with a `<displayed/>` of the MDS namespace loses that
 * element before anything else sees it (archive, carbons, the recipient: §6.2, §7), and its payload
 * is published to the user's `urn:xmpp:mds:displayed:0` node with the message's verbatim `to` as
 * item id. The node itself (§4.1) is plain PEP.
 */
export const mdsFeature: FeatureDefinition<RouterContext, z.infer<typeof config>> = {
  name: 'mds',
  spec: { xep: 490, version: '1.0.1' },
  config,
  setup: (ctx, cfg) => {
    if (!cfg.serverAssist) return [];
    const pep = routerPep(ctx);
    if (!pep) return []; // no PEP, no node to update: not advertised
    ctx.accountDisco.features.add(MDS_SERVER_ASSIST);
    return [
      ctx.hooks.on('message:sent', ({ stanza }) => void assist(ctx, pep, stanza), { priority: BEFORE_ARCHIVE, owner: 'mds' }),
      () => void ctx.accountDisco.features.delete(MDS_SERVER_ASSIST),
    ];
  },
};

function assist(ctx: RouterContext, pep: PepService, st: RoutedStanza): void {
  if (!st.mayHold(MDS_NODE)) return; // most messages: nothing to strip, and no parse for it
  const el = st.element();
  const displayed = el.getChildren('displayed', MDS_NODE);
  const to = st.env.to;
  if (displayed.length === 0 || !to) return;
  for (const d of displayed) el.remove(d);
  st.env.xml = Buffer.from(el.toString(), 'utf8');
  const owner = st.from.bare().toString();
  const payload = displayed[0]!.clone().setAttr('xmlns', MDS_NODE);
  // Beside the delivery, like an archive write: the sender's Ack waits for it, the message does not.
  st.writes.push(publish(ctx, pep, owner, to, payload));
}

async function publish(ctx: RouterContext, pep: PepService, owner: string, id: string, payload: Element): Promise<void> {
  try {
    let done = await pep.publish(owner, MDS_NODE, { id, payload }, { publishOptions: MDS_PUBLISH_OPTIONS });
    // A node the user configured otherwise keeps its configuration (XEP-0223 precondition).
    if (done instanceof StanzaError && done.condition === 'conflict') done = await pep.publish(owner, MDS_NODE, { id, payload });
    if (done instanceof StanzaError) ctx.logger.warn({ jid: owner, condition: done.condition }, 'MDS server assist: displayed state not published');
  } catch (err) {
    ctx.logger.warn({ jid: owner, err: (err as Error).message }, 'MDS server assist: displayed state not published');
  }
}
