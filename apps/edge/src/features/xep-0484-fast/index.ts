import { HT_BINDING, HT_MECHANISMS, HtMechanism, newToken, type HtMechanismName } from '#libs/auth';
import type { FastSlotName } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { EdgeHooks } from '../../edge.hooks.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { EdgeFeature } from '../edge-feature.js';
import { admit, exchangeOf } from '../rfc6120-sasl/sasl-exchange.js';

export const NS_FAST = 'urn:xmpp:fast:0';

/** What a token login on this stream used, for the success handler (rotation, invalidation). */
interface TokenLogin {
  slot: FastSlotName;
  issuedAt: Date;
}

/** A stored token a login may be using. */
interface Candidate extends TokenLogin {
  key: string;
  expiresAt: Date;
}

/**
 * XEP-0484 FAST (v0.2) inside SASL2: `<fast/>` in SASL2's <inline/> lists the HT-SHA-256 mechanisms
 * this connection can run (-EXPR with tls-exporter, -ENDP with tls-server-end-point, -NONE always;
 * no `tls-0rtt`: the edge takes no TLS early data). `<request-token mechanism/>` after a successful
 * login issues a token for the client's user-agent id; a login with a token (`<fast count
 * invalidate/>`) is checked against its two slots (§impl-tokens), its mechanism, its expiry
 * (`credentials-expired`) and the replay counter; an old token is rotated in <success/>. Tokens are
 * stored as SHA-256 keys (Storage.fastTokens), edge.sasl2.fast.* bounds them, and they go with a
 * password change, an account's removal and the admin API's RevokeFastTokens.
 */
export const fastFeature: EdgeFeature = {
  name: 'fast',
  spec: { xep: 484, version: '0.2.0' },
  dependsOn: ['sasl2'],
  setup: (ctx) => {
    const cfg = ctx.config.edge.sasl2;
    if (!cfg.enabled || !cfg.fast.enabled) return [];
    const logins = new WeakMap<C2sStream, TokenLogin>();
    return [
      ctx.hooks.on(
        'sasl2-inline',
        ({ stream, inline, mechanisms }) => {
          const offered = offeredFor(stream);
          mechanisms.push(...offered);
          inline.append(xml('fast', { xmlns: NS_FAST }, ...offered.map((m) => xml('mechanism', {}, m))));
        },
        { priority: 100, owner: 'fast' },
      ),
      ctx.hooks.on(
        'sasl2-mechanism',
        (ask) => {
          if (!(HT_MECHANISMS as readonly string[]).includes(ask.name)) return 'continue';
          ask.mechanism = htMechanism(ctx, ask, logins);
          return 'stop';
        },
        { owner: 'fast' },
      ),
      ctx.hooks.on('sasl2-success', (arg) => onSuccess(ctx, arg, logins.get(arg.stream)), { priority: 400, owner: 'fast' }),
    ];
  },
};

/** HT mechanisms this connection can run, channel-bound first (XEP-0484 §support: at least one of each kind). */
/**
 * The HT mechanisms this connection can run: by the channel-binding types it has (their keys),
 * without computing the data, which only a login that uses one reads (transport/channel-bindings.ts:
 * reading it costs every login ~0.1 ms, most of them for nothing).
 */
export function offeredFor(stream: Pick<C2sStream, 'transport'>): HtMechanismName[] {
  const bindings = stream.transport.channelBindings();
  return HT_MECHANISMS.filter((m) => {
    const need = HT_BINDING[m];
    return need === undefined || need in bindings;
  });
}

function htMechanism(ctx: EdgeContext, ask: EdgeHooks['sasl2-mechanism'], logins: WeakMap<C2sStream, TokenLogin>): HtMechanism<Candidate> {
  const { stream, request, userAgent } = ask;
  const name = ask.name as HtMechanismName;
  const fast = request.getChild('fast', NS_FAST);
  const countAttr = fast?.attrs.count;
  const count = countAttr === undefined ? undefined : /^[1-9][0-9]{0,14}$/.test(countAttr) ? Number(countAttr) : NaN;
  return new HtMechanism(name, {
    domain: stream.domain,
    channelBindings: stream.transport.channelBindings(),
    candidates: async (username) => {
      // Tokens belong to a client (§rules-clients: the user-agent id is required); the back-off gate
      // applies as to a password; a disabled or removed account has no usable token.
      if (!userAgent?.id || !(await admit(ctx, stream, exchangeOf(stream), username))) return [];
      const account = await ctx.storage.accounts.get(username, stream.domain);
      if (!account || account.disabled) return [];
      const tokens = await ctx.storage.fastTokens.get(`${username}@${stream.domain}`, userAgent.id);
      const out: { key: Buffer; ref: Candidate }[] = [];
      for (const slot of ['next', 'current'] as const) {
        const t = tokens?.[slot];
        // §fast-auth: bound to the mechanism it was issued for.
        if (t && t.mechanism === name) out.push({ key: Buffer.from(t.key, 'base64'), ref: { slot, key: t.key, issuedAt: t.issuedAt, expiresAt: t.expiresAt } });
      }
      return out;
    },
    used: async (username, ref) => {
      if (ref.expiresAt <= new Date()) return { condition: 'credentials-expired', text: 'the token has expired' };
      if (Number.isNaN(count)) return { condition: 'malformed-request', text: '<fast count/> must be a positive integer' };
      const ok = await ctx.storage.fastTokens.use(`${username}@${stream.domain}`, userAgent!.id!, ref.slot, ref.key, count, new Date());
      if (!ok) return { condition: 'not-authorized', text: count === undefined ? 'the token was revoked or replaced' : 'the count was used before (replay)' };
      logins.set(stream, { slot: ref.slot, issuedAt: ref.issuedAt });
      return true;
    },
  });
}

/**
 * After a successful SASL2 login: §invalidation (`<fast invalidate/>` drops the token used), then a
 * new token when asked for (`<request-token/>`) or when the token used is due for rotation
 * (§token-rotation; not after an invalidation unless asked).
 */
async function onSuccess(ctx: EdgeContext, arg: EdgeHooks['sasl2-success'], login: TokenLogin | undefined): Promise<void> {
  const { stream, request, userAgent, success } = arg;
  const cfg = ctx.config.edge.sasl2.fast;
  const client = userAgent?.id;
  if (!client || arg.answered()) return;
  const account = stream.jid!.bare().toString();
  const fast = request.getChild('fast', NS_FAST);
  const invalidate = login !== undefined && (fast?.attrs.invalidate === 'true' || fast?.attrs.invalidate === '1');
  if (invalidate) await ctx.storage.fastTokens.revoke(account, client);
  const asked = request.getChild('request-token', NS_FAST);
  let mechanism: string | undefined;
  if (asked) {
    mechanism = asked.attrs.mechanism;
    if (!mechanism || !(offeredFor(stream) as string[]).includes(mechanism)) {
      stream.log.info({ mechanism }, 'FAST token asked for a mechanism not offered here: none issued');
      return;
    }
  } else if (login && !invalidate && Date.now() - login.issuedAt.getTime() >= cfg.rotateAfterSec * 1000) {
    mechanism = exchangeOf(stream).name;
  }
  if (!mechanism) return;
  const { token, key } = newToken();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + cfg.tokenTtlSec * 1000);
  await ctx.storage.fastTokens.issue(
    account,
    client,
    { key: key.toString('base64'), mechanism, issuedAt: now, expiresAt, count: 0 },
    cfg.maxClientsPerAccount,
    now,
  );
  success.append(tokenElement(token, expiresAt));
}

/** §token-response: the token and its expiry (XEP-0082 DateTime). */
function tokenElement(token: string, expiresAt: Date): Element {
  return xml('token', { xmlns: NS_FAST, token, expiry: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') });
}
