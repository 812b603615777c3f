import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#libs/testing';
import type { Deployment } from '../harness/standalone.js';
import { addUser, gliderctl } from '../harness/gliderctl.js';
import { connect, isPresence, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';
import { registerWithInvite, type Registration } from '../harness/xmpp-register.js';
import type { Client } from '@xmpp/client';

const NS_ROSTER = 'jabber:iq:roster';

interface Created {
  uri: string;
  link: string;
  id: string;
  token: string;
  expires: Date;
}

/**
 * Invitations end to end (issue 15 §5, XEP-0401 / XEP-0445 / XEP-0379, docs/directory.md): invites
 * made with the real `gliderctl invite create|revoke`, redeemed by xmpp.js clients that register on
 * a server whose open registration is off (test/harness/xmpp-register.ts), on `standalone` or a
 * cluster (the newcomer on another edge than the inviter). A roster invite: both rosters hold each
 * other with subscription both in the invite's group, the online inviter gets the roster push, and
 * presence flows both ways at once; someone with an account redeems one with a XEP-0379 preauth
 * subscription request. Reused, expired and revoked tokens: the exact errors.
 */
export function invitesScenario(kind: string, start: (env: Record<string, string>) => Promise<Deployment>): void {
  describe(`invitations with xmpp.js on ${kind}`, () => {
    let glider: Deployment;
    const clients: TestClient[] = [];
    const registered: Client[] = [];
    const service = (edge: number): string => `xmpp://127.0.0.1:${glider.edges[edge % glider.edges.length]!.c2sPort}`;
    const create = async (args: string[]): Promise<Created> => {
      const r = await gliderctl(['invite', 'create', ...args], { adminPort: glider.adminPort });
      assert.equal(r.code, 0, r.stderr);
      const [uri, link, meta] = r.stdout.trim().split('\n');
      return {
        uri: uri!,
        link: link!,
        id: /id=([0-9a-f]{64})/.exec(meta!)![1]!,
        token: /preauth=([^;]+)/.exec(uri!)![1]!,
        expires: new Date(/expires=(\S+)/.exec(meta!)![1]!),
      };
    };
    const redeem = async (token: string | undefined, username: string, edge = 1): Promise<Registration> => {
      const r = await registerWithInvite(service(edge), { ...(token === undefined ? {} : { token }), username, password: `${username}-secret-pw` });
      if (r.ok) registered.push(r.xmpp);
      return r;
    };
    const refusalOf = (r: Registration) => (r.ok ? 'registered' : r.refusal);
    const rosterOf = async (xmpp: Client): Promise<XmppElement[]> =>
      (await xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })), 15_000)).getChild('query', NS_ROSTER)!.getChildren('item');

    before(async () => {
      // Open registration stays off (the default); a 1 s minimum lets a link expire while the test watches.
      glider = await start({ GLIDER_INVITES__ENABLED: 'true', GLIDER_INVITES__MIN_EXPIRY_SEC: '1' });
      trustCertificate(glider.certPem());
      await addUser('romeo@localhost', 'romeo-secret-pw', glider.adminPort);
    });
    after(async () => {
      for (const c of clients) await c.stop();
      for (const x of registered) await x.stop().catch(() => {});
      await glider?.stop();
    });

    test('without an invite a client cannot register (open registration off)', async () => {
      assert.deepEqual(refusalOf(await redeem(undefined, 'mallory')), { step: 'register', condition: 'service-unavailable' });
    });

    test('a roster invite: the newcomer registers, both are contacts (subscription both, in the group), the online inviter gets the push, presence flows', async () => {
      const romeo = await connect(service(0), 'romeo', 'romeo-secret-pw', 'laptop');
      clients.push(romeo);
      await romeo.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
      await romeo.send(xml('presence'));

      const invite = await create(['romeo@localhost', '--group', 'Verona', '--expires', '1d']);
      assert.match(invite.uri, /^xmpp:romeo@localhost\?roster;preauth=[A-Za-z0-9_-]+;ibr=y$/);
      assert.equal(decodeURIComponent(invite.link.split('#')[1]!), invite.uri);
      const juliet = await redeem(invite.token, 'juliet');
      assert.ok(juliet.ok, JSON.stringify(refusalOf(juliet)));
      assert.match(juliet.jid, /^juliet@localhost\/onboard/);

      const push = await romeo.waitFor('the roster push of juliet', (s) => s.is('iq') && s.attrs.type === 'set' && !!s.getChild('query', NS_ROSTER));
      const pushed = push.getChild('query', NS_ROSTER)!.getChild('item')!;
      assert.deepEqual([pushed.attrs.jid, pushed.attrs.subscription, pushed.getChildText('group')], ['juliet@localhost', 'both', 'Verona']);

      const mine = await rosterOf(juliet.xmpp);
      assert.deepEqual(
        mine.map((i) => [i.attrs.jid, i.attrs.subscription, i.getChildText('group')]),
        [['romeo@localhost', 'both', 'Verona']],
      );
      const his = (await rosterOf(romeo.xmpp)).find((i) => i.attrs.jid === 'juliet@localhost');
      assert.deepEqual([his?.attrs.subscription, his?.getChildText('group')], ['both', 'Verona']);

      // Subscribed both ways without a subscription request: her presence reaches him, his reaches her.
      const julietSaw: XmppElement[] = [];
      juliet.xmpp.on('stanza', (s: XmppElement) => julietSaw.push(s));
      await juliet.xmpp.send(xml('presence'));
      await romeo.waitFor('juliet available', isPresence('juliet@localhost', undefined));
      await waitFor(() => julietSaw.some(isPresence('romeo@localhost', undefined)), { what: 'romeo’s presence at juliet', timeoutMs: 15_000 });

      // reused: its single use is gone
      assert.deepEqual(refusalOf(await redeem(invite.token, 'paris')), {
        step: 'preauth',
        condition: 'item-not-found',
        text: 'the invite has already been used',
      });
    });

    test('someone who already has an account redeems a roster invite with a preauth subscription request (XEP-0379): contacts both ways', async () => {
      await addUser('tybalt@localhost', 'tybalt-secret-pw', glider.adminPort);
      const romeo = await connect(service(0), 'romeo', 'romeo-secret-pw', 'desk');
      const tybalt = await connect(service(1), 'tybalt', 'tybalt-secret-pw', 'phone');
      clients.push(romeo, tybalt);
      const invite = await create(['romeo@localhost', '--group', 'Partners']);
      // XEP-0379 §3.3: the client pre-approves the inviter, then asks with the token.
      await tybalt.send(xml('presence', { to: 'romeo@localhost', type: 'subscribed' }));
      await tybalt.send(xml('presence', { to: 'romeo@localhost', type: 'subscribe' }, xml('preauth', { xmlns: 'urn:xmpp:pars:0', token: invite.token })));
      await waitFor(async () => (await rosterOf(tybalt.xmpp)).find((i) => i.attrs.jid === 'romeo@localhost')?.attrs.subscription === 'both', {
        what: 'romeo in tybalt’s roster, subscription both',
        timeoutMs: 15_000,
      });
      const his = (await rosterOf(romeo.xmpp)).find((i) => i.attrs.jid === 'tybalt@localhost');
      assert.deepEqual([his?.attrs.subscription, his?.getChildText('group')], ['both', 'Partners']);
      assert.ok(!romeo.stanzas.some((s) => s.is('presence') && s.attrs.type === 'subscribe'), 'romeo was not asked: the invite approved');
      assert.deepEqual(refusalOf(await redeem(invite.token, 'benvolio2')), {
        step: 'preauth',
        condition: 'item-not-found',
        text: 'the invite has already been used',
      });
    });

    test('an account invite with 2 uses: two newcomers register, the third is refused; invite list counts down', async () => {
      const invite = await create(['localhost', '--uses', '2']);
      assert.match(invite.uri, /^xmpp:localhost\?register;preauth=[A-Za-z0-9_-]+$/);
      assert.ok((await redeem(invite.token, 'benvolio', 0)).ok);
      const listed = await gliderctl(['invite', 'list', 'localhost'], { adminPort: glider.adminPort });
      assert.match(listed.stdout, new RegExp(`^${invite.id} localhost uses=1/2 `, 'm'));
      assert.ok((await redeem(invite.token, 'mercutio', 1)).ok);
      assert.deepEqual(refusalOf(await redeem(invite.token, 'tybalt')), {
        step: 'preauth',
        condition: 'item-not-found',
        text: 'the invite has already been used',
      });
      const taken = await create(['localhost']);
      assert.deepEqual(refusalOf(await redeem(taken.token, 'romeo')), { step: 'register', condition: 'conflict' });
    });

    test('an expired invite and a revoked one are refused with item-not-found and their reason', async () => {
      const brief = await create(['localhost', '--expires', '1s']);
      await waitFor(() => Date.now() > brief.expires.getTime(), { what: 'the invite to expire', timeoutMs: 5_000 });
      assert.deepEqual(refusalOf(await redeem(brief.token, 'rosaline')), { step: 'preauth', condition: 'item-not-found', text: 'the invite has expired' });

      const revoked = await create(['localhost']);
      const r = await gliderctl(['invite', 'revoke', revoked.id], { adminPort: glider.adminPort });
      assert.equal(r.stdout, `revoked invite ${revoked.id}\n`);
      assert.deepEqual(refusalOf(await redeem(revoked.token, 'rosaline', 1)), {
        step: 'preauth',
        condition: 'item-not-found',
        text: 'the invite token is invalid',
      });
      assert.deepEqual(refusalOf(await redeem('not-a-token-at-all', 'rosaline')), {
        step: 'preauth',
        condition: 'item-not-found',
        text: 'the invite token is invalid',
      });
    });
  });
}
