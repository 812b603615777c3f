import { AdminOperations } from '#libs/admin';
import { parseJid, type Jid } from '#libs/jid';
import { StanzaError, dataForm, type FormDefinition, type FormValues } from '#libs/stanza';
import type { RouterContext } from '../../router.context.js';
import type { AdhocCommand, CommandCall, CommandNote, CommandStep } from '../xep-0050-adhoc/adhoc-command.js';
import { asStanzaError } from './admin-errors.js';

/** XEP-0133 §4: the FORM_TYPE of every form and the prefix of every command node. */
export const ADMIN_NS = 'http://jabber.org/protocol/admin';

const ONLINE_LIST_SIZES = ['25', '50', '75', '100', '150', '200', 'none'];

/**
 * XEP-0133 (1.2) service administration for the bare JIDs in `admin.jids`: every command calls
 * libs/admin's AdminOperations, the same code as the gRPC API and gliderctl.
 */
export function adminCommands(ctx: RouterContext): AdhocCommand[] {
  const ops = new AdminOperations({ config: ctx.config, storage: ctx.storage, logger: ctx.logger, sessions: ctx.registry, bus: ctx.bus });
  const admins = new Set(ctx.config.admin.jids.map((j) => parseJid(j).bare().toString()));
  const allowed = (from: Jid) => admins.has(from.bare().toString());

  /** A command with one form whose submission `run` acts on. */
  const withForm = (
    suffix: string,
    name: string,
    form: Omit<FormDefinition, 'formType'>,
    run: (v: FormValues, call: CommandCall) => Promise<CommandStep>,
  ): AdhocCommand => ({
    node: `${ADMIN_NS}#${suffix}`,
    name,
    allowed,
    start: async () => ({ status: 'executing', form: { formType: ADMIN_NS, ...form } }),
    submit: async (v, call) => {
      // who did it: AdminOperations logs what was done to which account
      ctx.logger.info({ admin: call.from.bare().toString(), command: suffix }, 'admin: XEP-0133 command');
      try {
        return await run(v, call);
      } catch (err) {
        return asStanzaError(err);
      }
    },
  });
  /** Runs `op` on each JID of `accountjids`; one note per account, error notes for refusals. */
  const eachAccount = async (v: FormValues, op: (jid: string) => Promise<unknown>, done: string): Promise<CommandStep> => {
    const jids = v.get('accountjids') ?? [];
    for (const j of jids) ops.account(j); // all valid, or nothing is done
    const notes: CommandNote[] = [];
    for (const j of jids) {
      try {
        await op(j);
        notes.push({ type: 'info', text: `${done} ${ops.account(j).bare}` });
      } catch (err) {
        notes.push({ type: 'error', text: asStanzaError(err).text ?? String(err) });
      }
    }
    return { status: 'completed', notes };
  };
  const accountjids = (label: string) => ({ fields: [{ var: 'accountjids', type: 'jid-multi' as const, label, required: true }] });

  return [
    withForm(
      'add-user',
      'Add a User',
      {
        title: 'Adding a User',
        fields: [
          { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for the account to be added', required: true },
          { var: 'password', type: 'text-private', label: 'The password for this account', required: true },
          { var: 'password-verify', type: 'text-private', label: 'Retype password' },
        ],
      },
      async (v) => {
        const pw = v.get('password')![0]!;
        const verify = v.get('password-verify')?.[0];
        if (verify !== undefined && verify !== pw) return new StanzaError('bad-request', { text: 'the passwords differ' });
        const name = await ops.addUser(v.get('accountjid')![0], pw);
        return { status: 'completed', notes: [{ type: 'info', text: `created ${name.bare}` }] };
      },
    ),
    withForm('delete-user', 'Delete a User', { title: 'Deleting a User', ...accountjids('The Jabber ID(s) to delete') }, (v) =>
      eachAccount(v, (j) => ops.deleteUser(j), 'deleted'),
    ),
    withForm('disable-user', 'Disable a User', { title: 'Disabling a User', ...accountjids('The Jabber ID(s) to disable') }, (v) =>
      eachAccount(v, (j) => ops.setDisabled(j, true), 'disabled'),
    ),
    withForm('reenable-user', 'Re-Enable a User', { title: 'Re-Enabling a User', ...accountjids('The Jabber ID(s) to re-enable') }, (v) =>
      eachAccount(v, (j) => ops.setDisabled(j, false), 're-enabled'),
    ),
    withForm(
      'change-user-password',
      'Change User Password',
      {
        title: 'Changing a User Password',
        fields: [
          { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for this account', required: true },
          { var: 'password', type: 'text-private', label: 'The password for this account', required: true },
        ],
      },
      async (v) => {
        const name = await ops.setPassword(v.get('accountjid')![0], v.get('password')![0]);
        return { status: 'completed', notes: [{ type: 'info', text: `password changed for ${name.bare}` }] };
      },
    ),
    withForm(
      'user-stats',
      'Get User Statistics',
      { title: 'Getting User Statistics', fields: [{ var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for statistics', required: true }] },
      async (v) => {
        const s = await ops.userStats(v.get('accountjid')![0]);
        const resources = s.sessions.map((x) => x.jid.slice(x.jid.indexOf('/') + 1));
        return {
          status: 'completed',
          result: dataForm('result', {
            formType: ADMIN_NS,
            fields: [
              { var: 'accountjid', type: 'jid-single', values: [s.jid] },
              { var: 'rostersize', type: 'text-single', label: 'Roster size', values: [String(s.rosterItems)] },
              { var: 'onlineresources', type: 'text-multi', label: 'Online resources', values: resources },
            ],
          }),
        };
      },
    ),
    {
      node: `${ADMIN_NS}#get-online-users-num`,
      name: 'Get Number of Online Users',
      allowed,
      // §4.15: answered at once
      start: async (call) => {
        try {
          const n = ops.onlineUsers(call.domain).length;
          const result = dataForm('result', {
            formType: ADMIN_NS,
            fields: [{ var: 'onlineusersnum', type: 'text-single', label: 'The number of online users', values: [String(n)] }],
          });
          return { status: 'completed', result };
        } catch (err) {
          return asStanzaError(err);
        }
      },
      submit: async () => new StanzaError('bad-request'),
    },
    withForm(
      'get-online-users-list',
      'Get List of Online Users',
      {
        title: 'Getting List of Online Users',
        fields: [
          {
            var: 'max_items',
            type: 'list-single',
            label: 'Maximum number of items to show',
            options: ONLINE_LIST_SIZES.map((value) => ({ value })),
            values: ['100'],
          },
        ],
      },
      async (v, call) => {
        const max = v.get('max_items')?.[0] ?? '100';
        const users = ops.onlineUsers(call.domain).map((u) => u.jid);
        const shown = max === 'none' ? users : users.slice(0, Number(max));
        return {
          status: 'completed',
          result: dataForm('result', {
            formType: ADMIN_NS,
            fields: [{ var: 'onlineuserjids', type: 'jid-multi', label: 'The list of all online users', values: shown }],
          }),
        };
      },
    ),
    withForm(
      'announce',
      'Send Announcement to Online Users',
      {
        title: 'Making an Announcement',
        fields: [
          { var: 'subject', type: 'text-single', label: 'Subject' },
          { var: 'announcement', type: 'text-multi', label: 'Announcement', required: true },
        ],
      },
      async (v, call) => {
        const subject = v.get('subject')?.[0];
        const body = (v.get('announcement') ?? []).join('\n');
        const out = await ops.announce(call.domain, { body, ...(subject ? { subject } : {}) });
        const notes: CommandNote[] = [{ type: 'info', text: `sent to ${out.delivered} sessions` }];
        if (out.failed) notes.push({ type: 'warn', text: `${out.failed} sessions did not take it` });
        return { status: 'completed', notes };
      },
    ),
  ];
}
