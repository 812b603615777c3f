import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestDirectory, TEST_DIRECTORY_GROUPS as GROUPS, TEST_DIRECTORY_PEOPLE as PEOPLE, type TestDirectory } from '#libs/directory';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, PresenceHarness } from '../../testing/presence-harness.js';

const ROSTER = 'jabber:iq:roster';
const items = (el: Element | undefined) =>
  (el?.getChild('query', ROSTER)?.elements() ?? []).map(
    (i) =>
      `${i.attrs.jid}:${i.attrs.subscription}:${i
        .getChildren('group')
        .map((g) => g.text())
        .join('|')}`,
  );

/** Shared rosters from directory groups against a real slapd, through the presence service (RFC 6121 §2.1.3, §2.1.6, §4). */
describe('directory shared roster in the presence service', () => {
  let dir: TestDirectory;
  let h: PresenceHarness;
  const alice = `alice@${DOMAIN}`;
  const bob = `bob@${DOMAIN}`;
  const carol = `carol@${DOMAIN}`;

  before(async () => {
    dir = await startTestDirectory();
    h = await PresenceHarness.start({
      directory: {
        domains: {
          [DOMAIN]: { ldap: dir.ldapConfig(), sharedRoster: { groupBase: GROUPS, groupFilter: '(|(cn=engineering)(cn=sales))' } },
        },
      },
    });
    for (const u of ['alice', 'bob', 'carol']) await h.createUser(u);
  });
  after(async () => {
    await h?.close();
    await dir?.stop();
  });

  test('roster get shows the group members with subscription both, grouped by cn; nothing is stored', async () => {
    const s = await h.bind(`${alice}/pc`);
    await h.send(s, xml('iq', { type: 'get', id: 'g' }, xml('query', { xmlns: ROSTER, ver: '' })));
    const [r] = await h.waitFor(s, 1);
    assert.deepEqual(items(r), [`${bob}:both:engineering`]);
    assert.equal((await h.storage.rosters.get(alice)).items.length, 0, 'the stored roster stays empty');
    const c = await h.bind(`${carol}/pc`);
    await h.send(c, xml('iq', { type: 'get', id: 'g' }, xml('query', { xmlns: ROSTER })));
    assert.deepEqual(items((await h.waitFor(c, 1))[0]), [], 'sales has carol only');
    await h.end(s);
    await h.end(c);
    h.clear();
  });

  test('presence flows between shared members without any subscription', async () => {
    const a = await h.login(`${alice}/pc`);
    await h.delivered();
    h.clear();
    const b = await h.login(`${bob}/pc`);
    await h.delivered();
    const toAlice = h.for(a).filter((e) => e.name === 'presence');
    assert.ok(
      toAlice.some((p) => p.attrs.from === `${bob}/pc` && p.attrs.type === undefined),
      "alice sees bob's available presence",
    );
    const toBob = h.for(b).filter((e) => e.name === 'presence');
    assert.ok(
      toBob.some((p) => p.attrs.from === `${alice}/pc`),
      "bob's login probe is answered with alice's presence",
    );
    await h.end(b);
    await h.delivered();
    assert.ok(h.for(a).some((p) => p.name === 'presence' && p.attrs.from === `${bob}/pc` && p.attrs.type === 'unavailable'));
    await h.end(a);
    h.clear();
  });

  test('a joiner and a leaver are pushed (RFC 6121 §2.1.6) to interested resources after an on-demand refresh', async () => {
    const a = await h.login(`${alice}/pc`);
    await h.delivered();
    h.clear();
    await dir.slapd.modify(`dn: cn=sales,${GROUPS}\nchangetype: modify\nadd: member\nmember: uid=alice,${PEOPLE}\n`);
    const result = await h.presence.runtime.sharedRoster.refresh(DOMAIN);
    assert.equal(result[DOMAIN]!.changes, 2);
    await h.delivered();
    const pushes = h.for(a).filter((e) => e.name === 'iq' && e.attrs.type === 'set');
    assert.deepEqual(pushes.map(items), [[`${carol}:both:sales`]]);
    h.clear();
    await dir.slapd.modify(`dn: cn=sales,${GROUPS}\nchangetype: modify\ndelete: member\nmember: uid=alice,${PEOPLE}\n`);
    await h.presence.runtime.sharedRoster.refresh(DOMAIN);
    await h.delivered();
    assert.deepEqual(
      h
        .for(a)
        .filter((e) => e.name === 'iq' && e.attrs.type === 'set')
        .map(items),
      [[`${carol}:remove:`]],
    );
    await h.end(a);
  });

  test('a contact also in the stored roster keeps its stored item, gaining the shared group and both', async () => {
    const s = await h.bind(`${alice}/phone`);
    await h.send(
      s,
      xml('iq', { type: 'set', id: 's' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: bob, name: 'Bobby' }, xml('group', {}, 'Friends')))),
    );
    await h.send(s, xml('iq', { type: 'get', id: 'g' }, xml('query', { xmlns: ROSTER })));
    await h.delivered();
    const r = h.for(s).find((e) => e.attrs.id === 'g');
    assert.deepEqual(items(r), [`${bob}:both:Friends|engineering`]);
    assert.equal((await h.storage.rosters.getItem(alice, bob))?.subscription, 'none', 'stored subscription untouched');
  });
});
