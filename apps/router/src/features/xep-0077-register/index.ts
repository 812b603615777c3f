import { NS, StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import { z } from 'zod';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';
import { removeAccount } from './account-removal.js';
import { changePassword } from './password-change.js';

const config = z.strictObject({
  /** XEP-0077 §3.3: a logged-in user may change their password in band (else <not-allowed/>). */
  passwordChange: z.boolean().default(true),
  /** XEP-0077 §3.2: a logged-in user may delete their own account with <remove/> (else <not-allowed/>). */
  remove: z.boolean().default(true),
});
export type RegisterConfig = z.infer<typeof config>;

/**
 * XEP-0077 after login: what a registered user does with their account (§3.1 "already registered"
 * answer to a get, §3.2 cancellation, §3.3 password change). Registering a new account happens
 * before login, on the edge (apps/edge/src/features/xep-0077-register, `registration.enabled`).
 */
export const registerFeature: FeatureDefinition<RouterContext, RegisterConfig> = {
  name: 'register',
  spec: { xep: 77, version: '2.4' },
  discoFeatures: [NS.register],
  config,
  setup: (ctx, cfg) => [
    ctx.iq.register('get', NS.register, (req) => registrationInfo(ctx, req), { server: true, account: 'own' }, 'register'),
    ctx.iq.register('set', NS.register, (req) => manage(ctx, cfg, req), { server: true, account: 'own' }, 'register'),
  ],
};

/**
 * The sender's own account, when the request is addressed to its home server (`to` the server's
 * domain, or no `to`: RFC 6120 §10.3); anything else is not theirs to manage.
 */
export function ownAccount(req: IqRequest): { username: string; domain: string } | StanzaError {
  const { from, to } = req;
  // `to` is a local domain or account (the addressing table sent it here), so a sender of the same
  // domain is a local account
  const home = req.toServer ? to.domain === from.domain : req.own;
  if (!from.local || !home) return new StanzaError('forbidden', { text: 'only your own account on its home server' });
  return { username: from.local, domain: from.domain };
}

/** §3.1: the user is authenticated, so registered: <registered/> and the username on file. */
async function registrationInfo(ctx: RouterContext, req: IqRequest) {
  const account = ownAccount(req);
  if (account instanceof StanzaError) return account;
  if (!(await ctx.storage.accounts.get(account.username, account.domain))) return new StanzaError('registration-required');
  return xml(
    'query',
    { xmlns: NS.register },
    xml('instructions', {}, 'You are registered. Send a new password to change it, or <remove/> to delete your account.'),
    xml('registered'),
    xml('username', {}, account.username),
    xml('password'),
  );
}

async function manage(ctx: RouterContext, cfg: RegisterConfig, req: IqRequest) {
  const account = ownAccount(req);
  if (account instanceof StanzaError) return account;
  const children = req.payload.elements();
  if (children.some((c) => c.name === 'remove')) {
    // §3.2: <remove/> must be the only child
    if (children.length !== 1) return new StanzaError('bad-request', { text: '<remove/> must be the only child of <query/>' });
    if (!cfg.remove) return new StanzaError('not-allowed', { text: 'accounts cannot be deleted in band here' });
    return removeAccount(ctx, req, account);
  }
  if (!cfg.passwordChange) return new StanzaError('not-allowed', { text: 'passwords cannot be changed in band here' });
  // Its passwords live in the company directory (docs/directory.md); the local SCRAM keys are never checked.
  if (ctx.config.directory.domains[account.domain]) return new StanzaError('not-allowed', { text: 'change your password in the company directory' });
  return changePassword(ctx, req, account);
}
