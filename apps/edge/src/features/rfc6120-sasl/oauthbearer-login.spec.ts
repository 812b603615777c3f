import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startOidcProvider, waitFor, type TestOidcProvider } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';

/** RFC 7628 §3.1 initial client response. */
const bearer = (token: string, authzid = ''): Buffer => Buffer.from(`n,${authzid ? `a=${authzid}` : ''},\x01host=${DOMAIN}\x01auth=Bearer ${token}\x01\x01`);

/**
 * SASL OAUTHBEARER (RFC 7628) on a domain with sso.domains.<domain>.oidc, against a real OpenID
 * Connect provider (oidc-provider) issuing JWT access tokens: success, and each bad token with the
 * RFC 7628 §3.2.2 error challenge followed by its exact RFC 6120 §6.5 condition.
 */
describe('c2s login with SASL OAUTHBEARER and an OpenID Connect provider', () => {
  let idp: TestOidcProvider;
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const secured = async (): Promise<{ c: RawClient; mechanisms: string[] }> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    const features = await c.open(DOMAIN);
    const mechanisms = features
      .getChild('mechanisms')!
      .getChildren('mechanism')
      .map((m) => m.text());
    return { c, mechanisms };
  };
  /** A refused token: the §3.2.2 JSON error as a challenge, %x01 back, then the failure's condition. */
  const refused = async (token: string): Promise<{ error: Record<string, string>; condition: string; text?: string }> => {
    const { c } = await secured();
    const challenge = await c.auth('OAUTHBEARER', bearer(token));
    assert.equal(challenge.name, 'challenge', `expected the error challenge, got ${challenge.toString()}`);
    const error = JSON.parse(Buffer.from(challenge.text(), 'base64').toString()) as Record<string, string>;
    const failure = await c.respond(Buffer.from('\x01'));
    assert.equal(failure.name, 'failure');
    return { error, condition: failure.elements().find((e: Element) => e.name !== 'text')!.name, text: failure.getChildText('text') ?? undefined };
  };

  before(async () => {
    idp = await startOidcProvider({
      'alice-app': { user: 'alice' },
      'bob-app': { user: 'bob' },
      'brief-app': { user: 'alice', ttlSec: 1 },
      'bad-name-app': { user: 'a b@other.test' },
    });
    h = await startEdge({
      sso: { domains: { [DOMAIN]: { oidc: { issuer: idp.issuer, audience: idp.audience, clockSkewSec: 0, requiredScope: 'xmpp' } } } },
      edge: { sasl2: { enabled: true } },
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await h?.stop();
    await idp?.stop();
  });

  test('OAUTHBEARER is offered beside the password mechanisms, on SASL and SASL2', async () => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    const features = await c.open(DOMAIN);
    const names = (el: Element | undefined) => el?.getChildren('mechanism').map((m) => m.text()) ?? [];
    assert.ok(names(features.getChild('mechanisms')).includes('OAUTHBEARER'));
    assert.ok(names(features.getChild('mechanisms')).includes('SCRAM-SHA-256'), 'local passwords still work');
    assert.ok(names(features.getChild('authentication', 'urn:xmpp:sasl:2')).includes('OAUTHBEARER'));
  });

  test('a token from the provider signs its user in (account record made), who binds and sends', async () => {
    assert.equal(await h.storage.accounts.get('alice', DOMAIN), undefined);
    const { c } = await secured();
    const outcome = await c.auth('OAUTHBEARER', bearer(await idp.token('alice-app'), `alice@${DOMAIN}`));
    assert.equal(outcome.name, 'success', outcome.toString());
    await c.open(DOMAIN);
    assert.equal(await c.bind('sso'), `alice@${DOMAIN}/sso`);
    assert.ok(await h.storage.accounts.get('alice', DOMAIN));
    c.send(xml('message', { to: `alice@${DOMAIN}`, id: 'o1' }, xml('body', {}, 'hi')));
    assert.equal((await c.element()).getChildText('body'), 'hi');
  });

  test('an expired token: invalid_token challenge, then credentials-expired', async () => {
    const token = await idp.token('brief-app');
    const { exp } = decodeJwt(token);
    await waitFor(() => Date.now() / 1000 > exp! + 0.2, { what: 'the token to expire', timeoutMs: 5_000 });
    const { error, condition } = await refused(token);
    assert.deepEqual(error, { status: 'invalid_token', 'openid-configuration': `${idp.issuer}/.well-known/openid-configuration`, scope: 'xmpp' });
    assert.equal(condition, 'credentials-expired');
  });

  test('a wrongly signed token (payload changed after signing) → not-authorized', async () => {
    const [header, payload, signature] = (await idp.token('bob-app')).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, preferred_username: 'alice' })).toString('base64url');
    const { condition, text } = await refused(`${header}.${forged}.${signature}`);
    assert.equal(condition, 'not-authorized');
    assert.equal(text, 'token signature invalid');
  });

  test('a token for another audience → not-authorized', async () => {
    const { condition, text } = await refused(await idp.token('alice-app', { resource: 'https://mail.example.test' }));
    assert.equal(condition, 'not-authorized');
    assert.equal(text, 'token aud claim invalid');
  });

  test('a user claim that is no local part of this domain → not-authorized', async () => {
    const { condition, text } = await refused(await idp.token('bad-name-app'));
    assert.equal(condition, 'not-authorized');
    assert.equal(text, 'token names a user of another domain');
  });

  test('bad input: malformed message, authzid of someone else, garbage token', async () => {
    let { c } = await secured();
    let outcome = await c.auth('OAUTHBEARER', Buffer.from('auth=Bearer abc'));
    assert.equal(outcome.getChild('malformed-request')?.name, 'malformed-request');
    ({ c } = await secured());
    outcome = await c.auth('OAUTHBEARER', bearer(await idp.token('bob-app'), `alice@${DOMAIN}`));
    assert.ok(outcome.getChild('invalid-authzid'), outcome.toString());
    const { condition } = await refused('not.a.jwt');
    assert.equal(condition, 'not-authorized');
  });

  test('the provider down: temporary-auth-failure (cached keys aside, a new verifier cannot fetch them)', async () => {
    const down = await startEdge({ sso: { domains: { [DOMAIN]: { oidc: { issuer: idp.issuer, audience: idp.audience, fetchTimeoutMs: 2_000 } } } } });
    try {
      const token = await idp.token('alice-app');
      await idp.stop();
      const c = await RawClient.connect({ mode: 'tls', port: down.edge.ports.directTls });
      clients.push(c);
      await c.open(DOMAIN);
      const outcome = await c.auth('OAUTHBEARER', bearer(token));
      assert.ok(outcome.getChild('temporary-auth-failure'), outcome.toString());
    } finally {
      await down.stop();
    }
  });
});
