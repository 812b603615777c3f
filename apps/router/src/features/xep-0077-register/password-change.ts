import { makeScramCredentials, normalizeUsername, passwordProblem } from '#libs/auth';
import { StanzaError } from '#libs/stanza';
import { closeSessionsOf } from '#libs/sessions';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';

/**
 * XEP-0077 §3.3: <username/> (optional; if given, the user's own) and the new <password/>. Stored
 * only as SCRAM hashes (DESIGN.md); an empty password keeps the old one and is refused. The user's
 * other sessions, authenticated with the old password, end with <reset/> (RFC 6120 §4.9.3.16), as
 * gliderctl's `user passwd` does; the session that asked stays. FAST tokens are revoked.
 */
export async function changePassword(ctx: RouterContext, req: IqRequest, account: { username: string; domain: string }): Promise<undefined | StanzaError> {
  const username = req.payload.getChildText('username');
  if (username !== undefined && normalizeUsername(username.trim()) !== account.username) {
    return new StanzaError('bad-request', { text: 'the username is not yours' });
  }
  const password = req.payload.getChildText('password');
  if (!password) return new StanzaError('bad-request', { text: 'a non-empty <password/> is required' });
  const problem = passwordProblem(password);
  if (problem) return new StanzaError('not-acceptable', { text: problem });
  const scram = await makeScramCredentials(password);
  if (!(await ctx.storage.accounts.setCredentials(account.username, account.domain, scram))) return new StanzaError('registration-required');
  const bare = `${account.username}@${account.domain}`;
  // XEP-0484 tokens were issued on the old password's strength: they go with it.
  await ctx.storage.fastTokens.revoke(bare);
  const closed = await closeSessionsOf(ctx.bus, ctx.registry, bare, 'reset', 'password changed', req.stanza.env.origin?.sessionId);
  ctx.logger.info({ jid: bare, closed }, 'password changed in band (XEP-0077)');
  return undefined;
}
