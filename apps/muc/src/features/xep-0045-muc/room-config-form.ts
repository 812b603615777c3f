import { dataForm, readSubmittedForm, type FormDefinition, type FormValues } from '#libs/stanza';
import type { Element } from '#libs/xml';
import type { MucConfig } from '#libs/config';
import type { MucRoomConfig } from '#libs/storage';
import type { Room } from '../../core/room.js';

export const ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';

const bool = (v: boolean) => [v ? '1' : '0'];

/** XEP-0045 §10.2 (and the §16.5.3 muc#roomconfig registry): the form with the room's values. */
export function configFormDefinition(room: Room, muc: MucConfig): FormDefinition {
  const c = room.config;
  const maxUsers = [...new Set([10, 20, 50, 100, 200, 500, 1000, muc.maxOccupantsPerRoom])].filter((n) => n <= muc.maxOccupantsPerRoom);
  return {
    formType: ROOMCONFIG,
    title: `Configuration of ${room.jid}`,
    fields: [
      { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', values: [c.name] },
      { var: 'muc#roomconfig_roomdesc', type: 'text-single', label: 'Description', values: [c.description] },
      { var: 'muc#roomconfig_persistentroom', type: 'boolean', label: 'Persistent', values: bool(c.persistent) },
      { var: 'muc#roomconfig_publicroom', type: 'boolean', label: 'Listed in the public room list', values: bool(c.public) },
      { var: 'muc#roomconfig_membersonly', type: 'boolean', label: 'Members only', values: bool(c.membersOnly) },
      { var: 'muc#roomconfig_moderatedroom', type: 'boolean', label: 'Moderated', values: bool(c.moderated) },
      { var: 'muc#roomconfig_passwordprotectedroom', type: 'boolean', label: 'Password protected', values: bool(c.password !== '') },
      { var: 'muc#roomconfig_roomsecret', type: 'text-private', label: 'Password', values: [c.password] },
      {
        var: 'muc#roomconfig_maxusers',
        type: 'list-single',
        label: 'Most occupants',
        options: [{ label: 'No limit', value: 'none' }, ...maxUsers.map((n) => ({ value: String(n) }))],
        values: [c.maxUsers === 0 ? 'none' : String(c.maxUsers)],
      },
      {
        var: 'muc#roomconfig_whois',
        type: 'list-single',
        label: 'Who may see real JIDs',
        options: [
          { label: 'Moderators only', value: 'moderators' },
          { label: 'Anyone', value: 'anyone' },
        ],
        values: [c.whois],
      },
      {
        var: 'muc#maxhistoryfetch',
        type: 'text-single',
        label: `History messages sent on joining (at most ${muc.maxHistoryLength})`,
        values: [String(c.historyLength)],
      },
      {
        var: 'muc#roomconfig_allowpm',
        type: 'list-single',
        label: 'Who may send private messages',
        options: ['anyone', 'participants', 'moderators', 'none'].map((value) => ({ value })),
        values: [c.allowPm],
      },
      { var: 'muc#roomconfig_allowinvites', type: 'boolean', label: 'Occupants may invite', values: bool(c.allowInvites) },
      { var: 'muc#roomconfig_changesubject', type: 'boolean', label: 'Occupants may change the subject', values: bool(c.changeSubject) },
      { var: 'muc#roomconfig_enablelogging', type: 'boolean', label: 'Archive the room (XEP-0313)', values: bool(c.enableLogging) },
      { var: 'muc#roomconfig_allowvoicerequests', type: 'boolean', label: 'Visitors may ask for voice', values: bool(c.allowVoiceRequests !== false) },
      { var: 'muc#roomconfig_roomowners', type: 'jid-multi', label: 'Owners', values: room.withAffiliation('owner').map((a) => a.jid) },
      { var: 'muc#roomconfig_roomadmins', type: 'jid-multi', label: 'Admins', values: room.withAffiliation('admin').map((a) => a.jid) },
    ],
  };
}

export function configForm(room: Room, muc: MucConfig): Element {
  return dataForm('form', configFormDefinition(room, muc));
}

/** Why a submitted value cannot be used (→ not-acceptable), as the XEP-0004 reader's errors are. */
export class ConfigValueError extends Error {}

export interface SubmittedConfig {
  config: MucRoomConfig;
  owners?: string[];
  admins?: string[];
}

/** Reads a submitted form (XEP-0004 types checked by readSubmittedForm) into the room's new config. */
export function readConfig(x: Element, room: Room, muc: MucConfig): SubmittedConfig {
  // maxusers is offered as a list, but any count up to the service's limit is taken (§10.2 leaves it open)
  const def = configFormDefinition(room, muc);
  const reading = { ...def, fields: def.fields.map((f) => (f.var === 'muc#roomconfig_maxusers' ? { ...f, type: 'text-single' as const, options: [] } : f)) };
  const v: FormValues = readSubmittedForm(x, reading);
  const one = (name: string) => v.get(name)?.[0];
  const flag = (name: string, current: boolean) => (one(name) === undefined ? current : one(name) === 'true');
  const c = room.config;
  const history = one('muc#maxhistoryfetch');
  let historyLength = c.historyLength;
  if (history !== undefined) {
    if (!/^\d+$/.test(history) || Number(history) > muc.maxHistoryLength)
      throw new ConfigValueError(`muc#maxhistoryfetch must be a number from 0 to ${muc.maxHistoryLength}`);
    historyLength = Number(history);
  }
  const max = one('muc#roomconfig_maxusers');
  if (max !== undefined && max !== 'none' && (!/^\d+$/.test(max) || Number(max) > muc.maxOccupantsPerRoom)) {
    throw new ConfigValueError(`muc#roomconfig_maxusers is none or a count up to ${muc.maxOccupantsPerRoom}`);
  }
  const protectedRoom = flag('muc#roomconfig_passwordprotectedroom', c.password !== '');
  const password = one('muc#roomconfig_roomsecret') ?? c.password;
  if (protectedRoom && !password) throw new ConfigValueError('a password-protected room needs muc#roomconfig_roomsecret');
  const config: MucRoomConfig = {
    name: one('muc#roomconfig_roomname') ?? c.name,
    description: one('muc#roomconfig_roomdesc') ?? c.description,
    persistent: flag('muc#roomconfig_persistentroom', c.persistent),
    public: flag('muc#roomconfig_publicroom', c.public),
    membersOnly: flag('muc#roomconfig_membersonly', c.membersOnly),
    moderated: flag('muc#roomconfig_moderatedroom', c.moderated),
    password: protectedRoom ? password : '',
    maxUsers: max === undefined ? c.maxUsers : max === 'none' ? 0 : Number(max),
    whois: (one('muc#roomconfig_whois') as MucRoomConfig['whois'] | undefined) ?? c.whois,
    historyLength,
    allowPm: (one('muc#roomconfig_allowpm') as MucRoomConfig['allowPm'] | undefined) ?? c.allowPm,
    allowInvites: flag('muc#roomconfig_allowinvites', c.allowInvites),
    changeSubject: flag('muc#roomconfig_changesubject', c.changeSubject),
    enableLogging: flag('muc#roomconfig_enablelogging', c.enableLogging),
    allowVoiceRequests: flag('muc#roomconfig_allowvoicerequests', c.allowVoiceRequests !== false),
  };
  const out: SubmittedConfig = { config };
  const owners = v.get('muc#roomconfig_roomowners');
  const admins = v.get('muc#roomconfig_roomadmins');
  if (owners) out.owners = owners;
  if (admins) out.admins = admins;
  return out;
}
