import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { client as xmppClient, type Client } from '@xmpp/client';
import { startOidcProvider, tempDir, waitFor, type TestOidcProvider } from '#libs/testing';
import type { Deployment } from '../harness/standalone.js';
import { gliderctl } from '../harness/gliderctl.js';
import { CLIENT_STEP_TIMEOUT_MS, stopReconnecting, trustCertificate, xml, type XmppElement } from '../harness/xmpp-client.js';
import { useOAuthBearer, withoutSasl2, type BearerError } from '../harness/xmpp-oauthbearer.js';

const SASL2 = 'urn:xmpp:sasl:2';

interface FastToken {
  mechanism: string;
  token: string;
  expiry: string;
}

/** One xmpp.js login attempt and what it showed. */
interface Attempt {
  xmpp: Client;
  jid?: string;
  /** SASL failure condition and text, when refused. */
  failure?: { condition: string; text?: string };
  /** RFC 7628 §3.2.2 error JSON the server sent before the failure. */
  bearerError?: BearerError;
  /** The `<authenticate/>` (SASL2) or `<auth/>` (SASL) elements sent, in order. */
  sent: XmppElement[];
  fastToken(): Promise<FastToken | undefined>;
}

/**
 * Single sign-on end to end (issue 15 §4, RFC 7628, docs/directory.md): a real OpenID Connect
 * provider (oidc-provider, libs/testing startOidcProvider) issues JWT access tokens; xmpp.js clients
 * log in with SASL OAUTHBEARER (test/harness/xmpp-oauthbearer.ts) over RFC 6120 SASL and over
 * XEP-0388 SASL2, then with the XEP-0484 FAST token they got in that login, without a new access
 * token, on another edge in a cluster. Expired, wrongly signed and other-audience tokens: the RFC
 * 7628 §3.2.2 error JSON, then the exact RFC 6120 §6.5 condition.
 */
export function ssoScenario(kind: string, start: (env: Record<string, string>) => Promise<Deployment>): void {
  describe(`single sign-on (OAUTHBEARER, then FAST) with xmpp.js on ${kind}`, () => {
    let idp: TestOidcProvider;
    let glider: Deployment;
    const tmp = tempDir('glider-sso-e2e-');
    const attempts: Attempt[] = [];
    const service = (edge: number): string => `xmpp://127.0.0.1:${glider.edges[edge % glider.edges.length]!.c2sPort}`;

    /** Logs in as `user` with OAUTHBEARER and `accessToken`, or first with a FAST `token` (SASL2). */
    const login = async (opts: {
      accessToken: string;
      edge?: number;
      sasl2?: boolean;
      ua?: string;
      token?: FastToken;
      username?: string;
    }): Promise<Attempt> => {
      const userAgent = xml('user-agent', { id: opts.ua ?? randomUUID() }, xml('software', {}, 'glider-e2e'));
      const xmpp = xmppClient({
        service: service(opts.edge ?? 0),
        domain: 'localhost',
        resource: 'sso',
        timeout: CLIENT_STEP_TIMEOUT_MS,
        // xmpp.js tries a FAST token first by itself (when the server offers FAST) and asks for one otherwise.
        credentials: (authenticate: (c: object, m: string, ua: XmppElement) => Promise<void>) =>
          authenticate(
            { password: opts.accessToken, ...(opts.token ? { token: opts.token } : {}), ...(opts.username ? { username: opts.username } : {}) },
            'OAUTHBEARER',
            userAgent,
          ),
      });
      const attempt: Attempt = {
        xmpp,
        sent: [],
        fastToken: () => (xmpp as unknown as { fast: { fetchToken(): Promise<FastToken | undefined> } }).fast.fetchToken(),
      };
      attempts.push(attempt);
      useOAuthBearer(xmpp, (e) => (attempt.bearerError = e));
      if (opts.sasl2 === false) withoutSasl2(xmpp);
      xmpp.on('error', () => {});
      xmpp.on('send', (el: XmppElement) => {
        if (el.is('authenticate', SASL2) || el.is('auth')) attempt.sent.push(el);
      });
      try {
        attempt.jid = (await xmpp.start()).toString();
      } catch (err) {
        const e = err as { condition?: string; text?: string };
        if (!e.condition) throw err;
        attempt.failure = { condition: e.condition, ...(e.text ? { text: e.text } : {}) };
        stopReconnecting(xmpp);
        await xmpp.stop().catch(() => {});
      }
      return attempt;
    };
    const refusal = (a: Attempt) => ({ error: a.bearerError, failure: a.failure });

    before(async () => {
      idp = await startOidcProvider(
        { 'alice-app': { user: 'alice' }, 'bob-app': { user: 'bob' }, 'brief-app': { user: 'alice', ttlSec: 1 } },
        'xmpp://localhost',
      );
      const config = join(tmp.path, 'glider.json');
      const oidc = { issuer: idp.issuer, audience: idp.audience, clockSkewSec: 0, requiredScope: 'xmpp' };
      writeFileSync(config, JSON.stringify({ domains: ['localhost'], sso: { domains: { localhost: { oidc } } } }));
      glider = await start({ GLIDER_CONFIG: config });
      trustCertificate(glider.certPem());
    });
    after(async () => {
      for (const a of attempts) {
        stopReconnecting(a.xmpp);
        await a.xmpp.stop().catch(() => {});
      }
      await glider?.stop();
      await idp?.stop();
      tmp.remove();
    });

    test('RFC 6120 SASL: a token from the provider logs its user in (account made at the first login), who then pings the server', async () => {
      const bob = await login({ accessToken: await idp.token('bob-app'), sasl2: false });
      assert.equal(bob.failure, undefined, JSON.stringify(refusal(bob)));
      assert.match(bob.jid!, /^bob@localhost\/sso$/);
      assert.deepEqual(
        bob.sent.map((e) => [e.name, e.attrs.mechanism]),
        [['auth', 'OAUTHBEARER']],
      );
      const listed = await gliderctl(['user', 'list', 'localhost'], { adminPort: glider.adminPort });
      assert.match(listed.stdout, /^bob@localhost/m);
      const pong = await bob.xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 15_000);
      assert.equal(pong.attrs.type, 'result');
    });

    test('SASL2: OAUTHBEARER with a FAST token requested; the next login (another edge) uses the token alone, no new access token', async () => {
      const ua = randomUUID();
      const first = await login({ accessToken: await idp.token('alice-app'), ua });
      assert.equal(first.failure, undefined, JSON.stringify(refusal(first)));
      assert.match(first.jid!, /^alice@localhost\/sso\//);
      const [auth] = first.sent;
      assert.equal(auth?.attrs.mechanism, 'OAUTHBEARER');
      assert.ok(auth?.getChild('request-token', 'urn:xmpp:fast:0'), 'xmpp.js asked for a FAST token');
      const token = await first.fastToken();
      assert.equal(token?.mechanism, 'HT-SHA-256-NONE');
      await first.xmpp.stop();

      // The access token given now is not one the provider issued: only the FAST token can log in.
      // The HT mechanisms name the user (authcid): the client knows it from its first login.
      const again = await login({ accessToken: 'no-access-token', ua, token, edge: 1, username: 'alice' });
      assert.equal(again.failure, undefined, JSON.stringify(refusal(again)));
      assert.match(again.jid!, /^alice@localhost\/sso\//);
      assert.deepEqual(
        again.sent.map((e) => e.attrs.mechanism),
        ['HT-SHA-256-NONE'],
      );
    });

    test('an expired access token: the invalid_token error JSON, then credentials-expired', async () => {
      const token = await idp.token('brief-app');
      const { exp } = decodeJwt(token);
      await waitFor(() => Date.now() / 1000 > exp! + 0.2, { what: 'the access token to expire', timeoutMs: 5_000 });
      for (const sasl2 of [false, true]) {
        const a = await login({ accessToken: token, sasl2 });
        assert.deepEqual(refusal(a), {
          error: { status: 'invalid_token', 'openid-configuration': `${idp.issuer}/.well-known/openid-configuration`, scope: 'xmpp' },
          failure: { condition: 'credentials-expired', text: 'token expired' },
        });
      }
    });

    test('a wrongly signed token and one for another audience: not-authorized with the reason', async () => {
      const [header, payload, signature] = (await idp.token('bob-app')).split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, preferred_username: 'alice' })).toString('base64url')}.${signature}`;
      const error = { status: 'invalid_token', 'openid-configuration': `${idp.issuer}/.well-known/openid-configuration`, scope: 'xmpp' };
      assert.deepEqual(refusal(await login({ accessToken: forged, sasl2: false })), {
        error,
        failure: { condition: 'not-authorized', text: 'token signature invalid' },
      });
      const elsewhere = await idp.token('alice-app', { resource: 'https://mail.example.test' });
      assert.deepEqual(refusal(await login({ accessToken: elsewhere, sasl2: false })), {
        error,
        failure: { condition: 'not-authorized', text: 'token aud claim invalid' },
      });
      assert.deepEqual(refusal(await login({ accessToken: elsewhere })), { error, failure: { condition: 'not-authorized', text: 'token aud claim invalid' } });
    });
  });
}
