import { makeScramCredentials, normalizeUsername, passwordProblem } from '#libs/auth';
import { jid } from '#libs/jid';
import { StorageConflictError } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import { errorReply, iqResult } from '#libs/stanza';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';
import { befriend, invitesOn, preauthOf } from '../xep-0401-invite/index.js';

/**
 * XEP-0077 in-band registration on the c2s stream, before authentication and after TLS. Off unless
 * registration.enabled: then not advertised and answered with <service-unavailable/> — except on a
 * stream that presented an accepted invite token first (XEP-0445, features/xep-0401-invite).
 */
export const registerFeature: EdgeFeature = {
  name: 'register',
  spec: { xep: 77, version: '2.4' },
  setup: (ctx) => [
    ctx.hooks.on(
      'stream-features',
      ({ stream, features }) => {
        if (registrationOpen(ctx, stream) && stream.state === 'secured') features.append(xml('register', { xmlns: NS.registerFeature }));
      },
      { priority: 45, owner: 'register' },
    ),
    ctx.hooks.on(
      'negotiate',
      ({ stream, el }) => {
        const query = el.is('iq') ? el.getChild('query', NS.register) : undefined;
        if (!query || stream.state !== 'secured') return 'continue';
        return handle(ctx, stream, el, query).then((answer) => {
          if (answer) stream.send(answer);
          return 'stop';
        });
      },
      { priority: 45, owner: 'register' },
    ),
  ],
};

/** A directory domain's accounts come from the directory (docs/directory.md), never from in-band registration. */
function registrationOpen(ctx: EdgeContext, stream: C2sStream): boolean {
  return ctx.config.registration.enabled && ctx.passwords(stream.domain) === undefined;
}

async function handle(ctx: EdgeContext, stream: C2sStream, iq: Element, query: Element): Promise<Element | undefined> {
  const preauth = invitesOn(ctx, stream) ? preauthOf(stream) : undefined;
  if (!registrationOpen(ctx, stream) && !preauth) return errorReply(iq, 'service-unavailable', { type: 'cancel' });
  if (iq.attrs.type === 'get') {
    return iqResult(iq, xml('query', { xmlns: NS.register }, xml('instructions', {}, 'Choose a username and password.'), xml('username'), xml('password')));
  }
  if (iq.attrs.type !== 'set') return errorReply(iq, 'bad-request', { type: 'modify' });
  if (query.getChild('remove')) return errorReply(iq, 'not-allowed', { type: 'cancel' });
  const raw = query.getChildText('username') ?? '';
  const password = query.getChildText('password') ?? '';
  const username = normalizeUsername(raw);
  if (!username || password.length === 0) return errorReply(iq, 'not-acceptable', { type: 'modify', text: 'a valid username and a password are required' });
  const problem = passwordProblem(password);
  if (problem) return errorReply(iq, 'not-acceptable', { type: 'modify', text: problem });
  try {
    jid(username, stream.domain);
  } catch {
    return errorReply(iq, 'not-acceptable', { type: 'modify', text: 'not a valid username' });
  }
  // An invite's use is taken now (checked against the time of the preauth: XEP-0445 §preauth-ibr) and
  // given back if the account cannot be made; a second registration on a used-up invite is refused.
  let invite;
  if (preauth) {
    const use = await ctx.storage.invites.use(preauth.id, preauth.at);
    if (use.kind !== 'ok') {
      const text =
        use.kind === 'used-up' ? 'the invite has already been used' : use.kind === 'expired' ? 'the invite has expired' : 'the invite token is invalid';
      return errorReply(iq, 'not-allowed', { type: 'cancel', text });
    }
    invite = use.invite;
  }
  try {
    await ctx.storage.accounts.create({ username, domain: stream.domain, scram: await makeScramCredentials(password), createdAt: new Date(), disabled: false });
  } catch (err) {
    if (invite) await ctx.storage.invites.release(invite.id);
    if (err instanceof StorageConflictError) return errorReply(iq, 'conflict', { type: 'cancel' });
    stream.log.error({ err }, 'registration failed');
    return errorReply(iq, 'internal-server-error', { type: 'wait' });
  }
  const bare = `${username}@${stream.domain}`;
  if (invite) await befriend(ctx, invite, bare);
  stream.log.info({ jid: bare, invite: invite?.id.slice(0, 12) }, 'registered an account (XEP-0077)');
  return iqResult(iq);
}
