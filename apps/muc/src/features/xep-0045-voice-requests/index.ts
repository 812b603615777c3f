import { FormError, NS, StanzaError, dataForm, errorReply, readSubmittedForm, type FormDefinition } from '#libs/stanza';
import { newArchiveId } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { FeatureDefinition, HookResult } from '#libs/xmpp-kit';
import type { MucContext, MucStanza } from '../../muc.context.js';
import { occupantPresence, toEveryone } from '../xep-0045-muc/presence-out.js';

export const MUC_REQUEST = 'http://jabber.org/protocol/muc#request';

/** The muc#request form (XEP-0045 §7.13 example 94, §8.6 example 130, registry §16.5.2). */
function requestForm(fields: { jid?: string; nick?: string }): FormDefinition {
  return {
    formType: MUC_REQUEST,
    title: 'Voice request',
    instructions: 'To approve this request for voice, select the "Grant voice to this person?" checkbox and click OK.',
    fields: [
      { var: 'muc#role', type: 'list-single', label: 'Requested role', options: [{ value: 'participant' }], values: ['participant'] },
      { var: 'muc#jid', type: 'jid-single', label: 'User ID', values: fields.jid ? [fields.jid] : [] },
      { var: 'muc#roomnick', type: 'text-single', label: 'Room Nickname', values: fields.nick ? [fields.nick] : [] },
      { var: 'muc#request_allow', type: 'boolean', label: 'Grant voice to this person?', values: ['false'] },
    ],
  };
}

/**
 * XEP-0045 §7.13 (requesting voice) and §8.6 (approving voice requests): a visitor in a moderated
 * room submits the muc#request form in a message to the room; every moderator's session gets it as
 * a form with the requester's room nick (and real JID); a moderator who submits it back with
 * muc#request_allow true grants voice (§8.3: the occupant becomes a participant, announced to all).
 * Runs before xep-0045's room-message handler, and only for messages carrying that form.
 */
export const voiceRequestsFeature: FeatureDefinition<MucContext> = {
  name: 'muc-voice-requests',
  spec: { xep: 45, version: '1.35' },
  discoFeatures: [],
  dependsOn: ['muc'],
  setup(ctx) {
    return [ctx.hooks.on('room-message', (st) => onVoiceForm(ctx, st), { owner: 'xep-0045-voice', priority: 10 })];
  },
};

function requestFormIn(el: Element): Element | undefined {
  const type = el.attrs.type ?? 'normal';
  if (type === 'groupchat' || type === 'error') return undefined;
  return el.getChildren('x', NS.xdata).find((x) => x.getChildren('field').some((f) => f.attrs.var === 'FORM_TYPE' && f.getChildText('value') === MUC_REQUEST));
}

function onVoiceForm(ctx: MucContext, st: MucStanza): HookResult {
  const x = requestFormIn(st.el);
  if (!x) return 'continue';
  const refuse = (e: StanzaError): HookResult => {
    ctx.reply(st, errorReply(st.el, e));
    return 'stop';
  };
  const room = st.room;
  if (!room) return refuse(new StanzaError('item-not-found', { text: 'no such room' }));
  const occ = room.bySession(st.from.toString());
  if (!occ) return refuse(new StanzaError('not-acceptable', { text: 'only occupants request or grant voice (§7.13)' }));
  let values;
  try {
    values = readSubmittedForm(x, requestForm({}));
  } catch (err) {
    if (err instanceof FormError) return refuse(new StanzaError('bad-request', { text: err.message }));
    throw err;
  }
  if (values.has('muc#request_allow') && occ.role !== 'moderator')
    return refuse(new StanzaError('forbidden', { type: 'auth', text: 'only moderators answer voice requests (§8.6)' }));
  if (values.has('muc#request_allow')) {
    // §8.6: the moderator's answer. Approval grants voice as §8.3 does; a denial changes nothing.
    if (values.get('muc#request_allow')![0] !== 'true') return 'stop';
    const nick = values.get('muc#roomnick')?.[0];
    const target = nick ? room.byNick(nick) : undefined;
    if (!target) return refuse(new StanzaError('item-not-found', { text: `nobody is called ${nick ?? ''} here (§8.6)` }));
    if (target.role !== 'visitor') return 'stop';
    target.role = 'participant';
    room.changedOccupant(target);
    toEveryone(room, (to, viewer) => st.out.send(occupantPresence(ctx, room, target, { viewer, self: viewer === target, item: { actor: occ.nick } }), to));
    return 'stop';
  }
  // §7.13: a request. Only a visitor lacks voice; in an unmoderated room nobody does.
  if (values.get('muc#role')?.[0] !== 'participant') return refuse(new StanzaError('bad-request', { text: 'muc#role must be participant (§7.13)' }));
  if (!room.config.moderated) return refuse(new StanzaError('not-allowed', { text: 'this room is not moderated: everyone has voice (§7.13)' }));
  if (room.config.allowVoiceRequests === false)
    return refuse(new StanzaError('not-allowed', { text: 'voice requests are off in this room (muc#roomconfig_allowvoicerequests)' }));
  if (occ.role !== 'visitor') return refuse(new StanzaError('not-acceptable', { text: 'you have voice already (§7.13)' }));
  const form = dataForm('form', requestForm({ jid: st.from.toString(), nick: occ.nick }));
  const moderators = room.live.occupants.filter((o) => o.role === 'moderator');
  for (const m of moderators) for (const s of m.sessions) st.out.send(xml('message', { from: room.jid, id: newArchiveId() }, form.clone()), s.jid);
  return 'stop';
}
