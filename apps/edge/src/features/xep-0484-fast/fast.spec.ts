import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { tokenKey } from '#libs/auth';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';
import { NS_BIND2, NS_FAST, NS_SASL2, ht, scram2, userAgent } from '../../testing/sasl2-client.js';

const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** XEP-0484 FAST with the HT-SHA-256 mechanisms against a real edge (embedded storage). */
describe('FAST tokens on the edge', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const connect = async (): Promise<{ c: RawClient; features: Element }> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    return { c, features: await c.open(DOMAIN) };
  };
  const bind = (tag: string) => xml('bind', { xmlns: NS_BIND2 }, xml('tag', {}, tag));
  const fast = (attrs: Record<string, string> = {}) => xml('fast', { xmlns: NS_FAST, ...attrs });
  /** A password login asking for a token for `mechanism`; returns the token. */
  const tokenFor = async (ua: string, mechanism: string, user = 'alice'): Promise<{ token: string; expiry: string }> => {
    const { c } = await connect();
    const success = await scram2(c, user, 'secret', [userAgent(ua), bind('T'), xml('request-token', { xmlns: NS_FAST, mechanism })]);
    assert.equal(success.name, 'success', String(success));
    const t = success.getChild('token', NS_FAST)!;
    assert.ok(t, String(success));
    return { token: t.attrs.token!, expiry: t.attrs.expiry! };
  };
  const login = async (ua: string, token: string, mechanism: string, extras: Element[] = [], user = 'alice') => {
    const { c } = await connect();
    return ht(c, user, token, mechanism, [userAgent(ua), bind('T'), ...extras]);
  };

  before(async () => {
    h = await startEdge({ edge: { sasl2: { enabled: true, fast: { rotateAfterSec: 3600 } } } });
    await h.addUser('alice', 'secret');
    await h.addUser('bob', 'secret');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h.stop();
  });

  test('<fast/> offers the channel-bound HT mechanisms this connection can run, and -NONE (§support)', async () => {
    const { features } = await connect();
    const inline = features.getChild('authentication', NS_SASL2)!.getChild('inline', NS_SASL2)!;
    const f = inline.getChild('fast', NS_FAST)!;
    assert.deepEqual(
      f.getChildren('mechanism').map((m) => m.text()),
      ['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP', 'HT-SHA-256-NONE'],
    );
    assert.equal(f.attrs['tls-0rtt'], undefined, 'no 0-RTT');
  });

  test('a token is issued on request, stored only as its key, and logs the same client in with one message (§token-response, §fast-auth)', async () => {
    const ua = randomUUID();
    const { token, expiry } = await tokenFor(ua, 'HT-SHA-256-NONE');
    assert.ok(token.length > 64, 'longer than the HMAC block, so the stored digest is the HMAC key');
    assert.match(expiry, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const stored = await h.storage.fastTokens.get(`alice@${DOMAIN}`, ua);
    assert.equal(stored?.next?.key, tokenKey(token).toString('base64'));
    assert.ok(!JSON.stringify(stored).includes(token), 'the token itself is not stored');
    const ok = await login(ua, token, 'HT-SHA-256-NONE', [fast({ count: '1' })]);
    assert.equal(ok.name, 'success', String(ok));
    assert.match(ok.getChildText('authorization-identifier')!, new RegExp(`^alice@${DOMAIN}/T/`));
    assert.equal(ok.getChild('token', NS_FAST), undefined, 'a fresh token is not rotated');
    assert.equal((await h.storage.fastTokens.get(`alice@${DOMAIN}`, ua))?.current?.count, 1);
  });

  test('bad input: a wrong token, another client, another mechanism, a replayed count, an unknown mechanism', async () => {
    const ua = randomUUID();
    const { token } = await tokenFor(ua, 'HT-SHA-256-EXPR');
    const cond = (el: Element) => `${el.name}:${el.elements().find((e) => e.attrs.xmlns === SASL)?.name}`;
    assert.equal(cond(await login(ua, 'x'.repeat(88), 'HT-SHA-256-EXPR', [fast({ count: '1' })])), 'failure:not-authorized');
    assert.equal(cond(await login(randomUUID(), token, 'HT-SHA-256-EXPR', [fast({ count: '1' })])), 'failure:not-authorized');
    assert.equal(cond(await login(ua, token, 'HT-SHA-256-NONE', [fast({ count: '1' })])), 'failure:not-authorized', 'bound to its mechanism');
    assert.equal(cond(await login(ua, token, 'HT-SHA-256-EXPR', [fast({ count: '5' })])), 'success:undefined');
    const replay = await login(ua, token, 'HT-SHA-256-EXPR', [fast({ count: '5' })]);
    assert.equal(cond(replay), 'failure:not-authorized');
    assert.match(replay.getChildText('text')!, /replay/);
    assert.equal(cond(await login(ua, token, 'HT-SHA-256-EXPR', [fast({ count: 'x' })])), 'failure:malformed-request');
    assert.equal(cond(await login(ua, token, 'HT-SHA-256-EXPR', [fast({ count: '6' })])), 'success:undefined');
    assert.equal(cond(await login(ua, token, 'HT-SHA-256-UNIQ', [fast()])), 'failure:invalid-mechanism');
    assert.equal(cond(await login(ua, token, 'HT-SHA-256-EXPR', [], 'bob')), 'failure:not-authorized', "another user's name");
  });

  test('an expired token fails with credentials-expired (§rules-servers); invalidate ends a token (§invalidation)', async () => {
    const ua = randomUUID();
    const { token } = await tokenFor(ua, 'HT-SHA-256-NONE');
    const invalidated = await login(ua, token, 'HT-SHA-256-NONE', [fast({ invalidate: 'true' })]);
    assert.equal(invalidated.name, 'success', String(invalidated));
    assert.equal(invalidated.getChild('token', NS_FAST), undefined);
    assert.ok((await login(ua, token, 'HT-SHA-256-NONE')).getChild('not-authorized', SASL));

    const old = 'o'.repeat(88);
    const past = new Date(Date.now() - 1000);
    const slot = { key: tokenKey(old).toString('base64'), mechanism: 'HT-SHA-256-NONE', issuedAt: new Date(0), expiresAt: past, count: 0 };
    await h.storage.fastTokens.issue(`alice@${DOMAIN}`, ua, slot, 10, new Date());
    const expired = await login(ua, old, 'HT-SHA-256-NONE');
    assert.ok(expired.getChild('credentials-expired', SASL), String(expired));
  });

  test('rotation: an old token gets a new one in <success/>; the old works until the new is used (§token-rotation)', async () => {
    const ua = randomUUID();
    const t1 = 'a'.repeat(88);
    const long = {
      key: tokenKey(t1).toString('base64'),
      mechanism: 'HT-SHA-256-NONE',
      issuedAt: new Date(Date.now() - 7200_000),
      expiresAt: new Date(Date.now() + 86_400_000),
      count: 0,
    };
    await h.storage.fastTokens.issue(`alice@${DOMAIN}`, ua, long, 10, new Date());
    const first = await login(ua, t1, 'HT-SHA-256-NONE');
    const t2 = first.getChild('token', NS_FAST)?.attrs.token;
    assert.ok(t2, String(first));
    assert.equal((await login(ua, t1, 'HT-SHA-256-NONE')).name, 'success', 'the old token still works before the new one is used');
    const t3 = (await login(ua, t1, 'HT-SHA-256-NONE')).getChild('token', NS_FAST)?.attrs.token;
    assert.ok(t3);
    assert.ok((await login(ua, t2, 'HT-SHA-256-NONE')).getChild('not-authorized', SASL), 'an unused token is replaced by the next one');
    assert.equal((await login(ua, t3, 'HT-SHA-256-NONE')).name, 'success');
    assert.ok((await login(ua, t1, 'HT-SHA-256-NONE')).getChild('not-authorized', SASL), 'using the new token retired the old');
  });
});
