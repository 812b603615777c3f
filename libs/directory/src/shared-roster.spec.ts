import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ldapSchema, sharedRosterSchema } from '#libs/config';
import { rdnValue } from './directory-groups.js';
import { SharedRoster } from './shared-roster.js';
import { SharedRosterSource } from './shared-roster-source.js';
import { GROUPS, PEOPLE, startTestDirectory, type TestDirectory } from './testing/test-directory.js';

const logger = pino({ level: 'silent' });

describe('SharedRoster (pure)', () => {
  test('members see each other with every shared group name; non-members see nobody', () => {
    const r = new SharedRoster([
      { dn: 'cn=a', name: 'A', members: ['x', 'y'] },
      { dn: 'cn=b', name: 'B', members: ['x', 'y', 'z'] },
    ]);
    assert.deepEqual(r.contactsOf('x'), [
      { username: 'y', groups: ['A', 'B'] },
      { username: 'z', groups: ['B'] },
    ]);
    assert.deepEqual(r.contactsOf('nobody'), []);
    assert.ok(r.shares('z', 'x'));
    assert.ok(!r.shares('x', 'x'));
  });

  test('diff: joiner, leaver and a group rename each become a change per affected owner', () => {
    const before = new SharedRoster([{ dn: 'g', name: 'G', members: ['a', 'b'] }]);
    const after = new SharedRoster([{ dn: 'g', name: 'H', members: ['a', 'c'] }]);
    const changes = after
      .diff(before)
      .map((c) => `${c.owner}:${c.contact}:${c.groups.join('|')}`)
      .sort();
    assert.deepEqual(changes, ['a:b:', 'a:c:H', 'b:a:', 'c:a:H']);
    assert.deepEqual(after.diff(after), []);
  });

  test('rdnValue takes the first RDN value, escapes undone', () => {
    assert.equal(rdnValue('uid=alice,ou=people,dc=x'), 'alice');
    assert.equal(rdnValue('cn=Smith\\, John,ou=p'), 'Smith, John');
    assert.equal(rdnValue('uid=a\\2cb,ou=p'), 'a,b');
    assert.equal(rdnValue('garbage'), undefined);
  });
});

/** Against a real slapd: groups read with the service account over StartTLS. */
describe('SharedRosterSource against slapd', () => {
  let dir: TestDirectory;
  const open: SharedRosterSource[] = [];
  const source = (overrides: Record<string, unknown> = {}): SharedRosterSource => {
    const s = new SharedRosterSource('example.test', ldapSchema.parse(dir.ldapConfig()), sharedRosterSchema.parse({ groupBase: GROUPS, ...overrides }), logger);
    open.push(s);
    return s;
  };

  before(async () => {
    dir = await startTestDirectory();
  });
  after(async () => {
    await Promise.all(open.map((s) => s.close()));
    await dir?.stop();
  });

  test('the test groups become shared contacts grouped by cn', async () => {
    const s = source();
    await s.start();
    assert.deepEqual(s.current.contactsOf('alice'), [
      { username: 'bob', groups: ['engineering', 'xmpp'] },
      { username: 'dave', groups: ['xmpp'] },
    ]);
    assert.deepEqual(s.current.contactsOf('carol'), []);
  });

  test('a joiner and a leaver are reported as changes by an on-demand refresh', async () => {
    const s = source();
    await s.refresh();
    const heard: string[][] = [];
    s.onChange((changes) => void heard.push(changes.map((c) => `${c.owner}:${c.contact}:${c.groups.join('|')}`).sort()));
    await dir.slapd.modify(`dn: cn=sales,${GROUPS}\nchangetype: modify\nadd: member\nmember: uid=bob,${PEOPLE}\n`);
    const joined = await s.refresh();
    assert.equal(joined.changes, 2);
    assert.deepEqual(heard.at(-1), ['bob:carol:sales', 'carol:bob:sales']);
    assert.deepEqual(s.current.contactsOf('carol'), [{ username: 'bob', groups: ['sales'] }]);
    await dir.slapd.modify(`dn: cn=sales,${GROUPS}\nchangetype: modify\ndelete: member\nmember: uid=bob,${PEOPLE}\n`);
    await s.refresh();
    assert.deepEqual(heard.at(-1), ['bob:carol:', 'carol:bob:']);
    assert.equal((await s.refresh()).changes, 0);
    assert.equal(heard.length, 2, 'no changes, no listener call');
  });

  test('a directory with 1,000 groups: read in pages up to maxGroups, the rest left out and said so', async () => {
    const entries = Array.from(
      { length: 1_000 },
      (_, i) =>
        `dn: cn=team${i},${GROUPS}\nobjectClass: groupOfNames\ncn: team${i}\nmember: uid=alice,${PEOPLE}\nmember: uid=${i % 2 ? 'bob' : 'carol'},${PEOPLE}\n`,
    );
    await dir.slapd.add(entries.join('\n'));
    const all = source();
    const read = await all.refresh();
    assert.equal(read.groups, 1_003);
    assert.equal(read.truncated, false);
    const alice = all.current.contactsOf('alice');
    assert.equal(alice.find((c) => c.username === 'bob')!.groups.length, 502);
    assert.equal(alice.find((c) => c.username === 'carol')!.groups.length, 500);
    const capped = await source({ maxGroups: 300 }).refresh();
    assert.equal(capped.groups, 300);
    assert.equal(capped.truncated, true);
  });

  test('a group over maxMembersPerGroup is skipped, the others kept', async () => {
    const read = await source({ maxMembersPerGroup: 2, groupFilter: '(&(objectClass=groupOfNames)(|(cn=xmpp)(cn=engineering)))' }).refresh();
    assert.equal(read.groups, 1);
    assert.equal(read.skipped, 1);
  });

  test('posixGroup memberUid groups (the value is the username) and a filter matching nothing', async () => {
    await dir.slapd.add(`dn: cn=ops,${GROUPS}\nobjectClass: posixGroup\ncn: ops\ngidNumber: 5000\nmemberUid: alice\nmemberUid: Carol\n`);
    const s = source({ memberIsDn: false, memberAttribute: 'memberUid', groupFilter: '(objectClass=posixGroup)' });
    assert.equal((await s.refresh()).groups, 1);
    assert.deepEqual(s.current.contactsOf('carol'), [{ username: 'alice', groups: ['ops'] }]);
    assert.equal((await source({ groupFilter: '(cn=no-such-group)' }).refresh()).groups, 0);
  });

  test('directory down: refresh rejects and the last roster stays', async () => {
    const s = source({ groupFilter: '(|(cn=xmpp)(cn=engineering))' });
    await s.refresh();
    await dir.slapd.kill();
    try {
      await assert.rejects(s.refresh(), /./);
      assert.equal(s.current.contactsOf('alice').length, 2);
    } finally {
      await dir.slapd.start();
    }
  });
});
