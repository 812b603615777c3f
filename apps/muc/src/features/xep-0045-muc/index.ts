import { NS } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import { RateLimit } from '../../core/rate-limit.js';
import type { MucContext } from '../../muc.context.js';
import { getAdmin, setAdmin } from './admin.js';
import { roomInfo, roomItems, serviceInfo, serviceItems } from './disco.js';
import { onRoomMessage } from './groupchat.js';
import { getConfig, setOwner } from './owner.js';
import { onRoomPresence } from './presence.js';
import { onOccupantMessage } from './private-messages.js';
import { onOccupantIq } from './iq-relay.js';

/**
 * XEP-0045 Multi-User Chat 1.35: entering and leaving rooms, nick changes, groupchat with history,
 * private messages, the subject, instant and reserved rooms with the configuration form,
 * affiliations and roles (kick, ban, voice, member lists), mediated invitations, destroying a room,
 * and disco of the service (the public room list) and of rooms. See README.md beside this file.
 */
export const mucFeature: FeatureDefinition<MucContext> = {
  name: 'muc',
  spec: { xep: 45, version: '1.35' },
  discoFeatures: [],
  setup(ctx) {
    const joins = new RateLimit(ctx.muc.maxJoinsPerMinute);
    const messages = new RateLimit(ctx.muc.maxMessagesPerMinute);
    const owner = 'xep-0045';
    const server = { server: true };
    return [
      ctx.hooks.on('room-presence', (st) => onRoomPresence(ctx, st, joins), { owner }),
      ctx.hooks.on('room-message', (st) => onRoomMessage(ctx, st, messages), { owner }),
      ctx.hooks.on('occupant-message', (st) => onOccupantMessage(ctx, st, messages), { owner }),
      ctx.hooks.on('occupant-iq', (st) => onOccupantIq(ctx, st), { owner }),
      ctx.serviceIq.register('get', NS.discoInfo, (req) => serviceInfo(req), server, owner),
      ctx.serviceIq.register('get', NS.discoItems, (req) => serviceItems(ctx, req), server, owner),
      ctx.roomIq.register('get', NS.discoInfo, (req) => roomInfo(ctx, req), server, owner),
      ctx.roomIq.register('get', NS.discoItems, (req) => roomItems(req), server, owner),
      ctx.roomIq.register('get', NS.mucOwner, (req) => getConfig(ctx, req), server, owner),
      ctx.roomIq.register('set', NS.mucOwner, (req) => setOwner(ctx, req), server, owner),
      ctx.roomIq.register('get', NS.mucAdmin, (req) => getAdmin(req), server, owner),
      ctx.roomIq.register('set', NS.mucAdmin, (req) => setAdmin(ctx, req), server, owner),
    ];
  },
};
