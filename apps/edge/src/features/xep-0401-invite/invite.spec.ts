import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InviteOperations } from '#libs/admin';
import { xml, type Element } from '#libs/xml';
import { pino } from 'pino';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';

const NS_REGISTER = 'jabber:iq:register';
const tokenOf = (uri: string): string => /preauth=([^;]+)/.exec(uri)![1]!;
const condition = (iq: Element): string | undefined =>
  iq
    .getChild('error')
    ?.elements()
    .find((e) => e.name !== 'text')?.name;
const text = (iq: Element): string | undefined => iq.getChild('error')?.getChildText('text') ?? undefined;

/**
 * XEP-0401 / XEP-0445 invitations with open registration off, and XEP-0379: a roster invite makes
 * the newcomer and the inviter contacts. Invites are made by the admin code gliderctl uses.
 */
describe('registration with an invite (XEP-0401, XEP-0445, XEP-0379)', () => {
  let h: EdgeHarness;
  let invites: InviteOperations;
  const clients: RawClient[] = [];
  const secured = async (edge = h): Promise<{ c: RawClient; features: Element }> => {
    const c = await RawClient.connect({ mode: 'tls', port: edge.edge.ports.directTls });
    clients.push(c);
    return { c, features: await c.open(DOMAIN) };
  };
  const preauth = async (c: RawClient, token: string): Promise<Element> => {
    c.send(xml('iq', { type: 'set', id: 'pa1', to: DOMAIN }, xml('preauth', { xmlns: 'urn:xmpp:pars:0', token })));
    return c.element();
  };
  const register = async (c: RawClient, username: string): Promise<Element> => {
    c.send(xml('iq', { type: 'set', id: 'r1' }, xml('query', { xmlns: NS_REGISTER }, xml('username', {}, username), xml('password', {}, `${username}-pw`))));
    return c.element();
  };

  before(async () => {
    h = await startEdge({ invites: { enabled: true } });
    invites = new InviteOperations({ config: h.config, storage: h.storage, logger: pino({ level: 'silent' }) });
    await h.addUser('romeo', 'romeo-pw');
  });
  after(async () => {
    for (const c of clients) c.close();
    await h?.stop();
  });

  test('invites off: nothing advertised, a preauth is service-unavailable', async () => {
    const off = await startEdge();
    try {
      const { c, features } = await secured(off);
      assert.equal(features.getChild('register', 'urn:xmpp:ibr-token:0'), undefined);
      assert.equal(features.getChild('register', 'urn:xmpp:invite'), undefined);
      assert.equal(condition(await preauth(c, 'abc')), 'service-unavailable');
    } finally {
      await off.stop();
    }
  });

  test('invites on, open registration off: token features only; without a token registration stays closed', async () => {
    const { c, features } = await secured();
    assert.ok(features.getChild('register', 'urn:xmpp:ibr-token:0'));
    assert.ok(features.getChild('register', 'urn:xmpp:invite'));
    assert.equal(features.getChild('register', 'http://jabber.org/features/iq-register'), undefined);
    assert.equal(condition(await register(c, 'mallory')), 'service-unavailable');
    assert.equal(await h.storage.accounts.get('mallory', DOMAIN), undefined);
  });

  test('a roster invite: preauth, register, and the newcomer and the inviter are contacts in the group', async () => {
    const created = await invites.create(`romeo@${DOMAIN}`, { group: 'Verona' });
    const { c } = await secured();
    assert.equal((await preauth(c, tokenOf(created.uri))).attrs.type, 'result');
    const reg = await register(c, 'juliet');
    assert.equal(reg.attrs.type, 'result', reg.toString());
    assert.ok(await h.storage.accounts.get('juliet', DOMAIN));
    const mine = await h.storage.rosters.getItem(`juliet@${DOMAIN}`, `romeo@${DOMAIN}`);
    const his = await h.storage.rosters.getItem(`romeo@${DOMAIN}`, `juliet@${DOMAIN}`);
    assert.deepEqual([mine?.subscription, mine?.groups], ['both', ['Verona']]);
    assert.deepEqual([his?.subscription, his?.groups], ['both', ['Verona']]);
    assert.equal((await h.storage.invites.get(created.id))?.usesLeft, 0);

    // reused: the one use is gone
    const { c: again } = await secured();
    const refused = await preauth(again, tokenOf(created.uri));
    assert.deepEqual([condition(refused), text(refused)], ['item-not-found', 'the invite has already been used']);
    assert.equal(condition(await register(again, 'paris')), 'service-unavailable');
  });

  test('the inviter online: a roster push of the newcomer (XEP-0401 §preauth-ibr, RFC 6121 §2.1.6) to resources that asked for the roster', async () => {
    await h.addUser('nurse', 'nurse-pw');
    const online = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(online);
    const full = await online.login(DOMAIN, 'nurse', 'nurse-pw', 'phone');
    const session = (await h.registry.get(full))!;
    assert.ok(await h.registry.update(full, session.sessionId, { interested: true }));
    const created = await invites.create(`nurse@${DOMAIN}`, { group: 'Capulet' });
    const { c } = await secured();
    await preauth(c, tokenOf(created.uri));
    assert.equal((await register(c, 'peter')).attrs.type, 'result');
    const push = await online.element();
    const version = (await h.storage.rosters.get(`nurse@${DOMAIN}`)).version;
    assert.equal(
      push.toString(),
      xml(
        'iq',
        { type: 'set', id: push.attrs.id!, to: full },
        xml(
          'query',
          { xmlns: 'jabber:iq:roster', ver: String(version) },
          xml('item', { jid: `peter@${DOMAIN}`, subscription: 'both' }, xml('group', {}, 'Capulet')),
        ),
      ).toString(),
    );
  });

  test('an expired invite and an unknown token are refused with item-not-found', async () => {
    const old = await invites.create(DOMAIN, { expires: '1m' }, new Date(Date.now() - 120_000));
    const { c } = await secured();
    const expired = await preauth(c, tokenOf(old.uri));
    assert.deepEqual([condition(expired), text(expired)], ['item-not-found', 'the invite has expired']);
    const unknown = await preauth(c, 'AAAAAAAAAAAAAAAAAAAAAA');
    assert.deepEqual([condition(unknown), text(unknown)], ['item-not-found', 'the invite token is invalid']);
    const junk = await preauth(c, '<script>');
    assert.equal(condition(junk), 'item-not-found');
  });

  test('two newcomers racing for a single-use invite: one account, the other not-allowed', async () => {
    const created = await invites.create(DOMAIN, {});
    const [a, b] = [await secured(), await secured()];
    for (const { c } of [a, b]) assert.equal((await preauth(c, tokenOf(created.uri))).attrs.type, 'result');
    const answers = await Promise.all([register(a.c, 'tybalt'), register(b.c, 'mercutio')]);
    assert.deepEqual(answers.map((r) => r.attrs.type).sort(), ['error', 'result']);
    const loser = answers.find((r) => r.attrs.type === 'error')!;
    assert.deepEqual([condition(loser), text(loser)], ['not-allowed', 'the invite has already been used']);
  });

  test('a taken username gives the use back', async () => {
    const created = await invites.create(DOMAIN, {});
    const { c } = await secured();
    await preauth(c, tokenOf(created.uri));
    assert.equal(condition(await register(c, 'romeo')), 'conflict');
    assert.equal((await h.storage.invites.get(created.id))?.usesLeft, 1);
    assert.equal((await register(c, 'benvolio')).attrs.type, 'result');
    assert.equal((await h.storage.invites.get(created.id))?.usesLeft, 0);
  });
});
