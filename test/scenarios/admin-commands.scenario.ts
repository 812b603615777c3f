import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmpp } from '../harness/external-clients.js';
import { addUser, gliderctl } from '../harness/gliderctl.js';
import { repoRoot } from '../harness/paths.js';
import type { Deployment } from '../harness/standalone.js';
import { client as xmppClient } from '@xmpp/client';
import { CLIENT_STEP_TIMEOUT_MS, connect, stopReconnecting, trustCertificate, xml } from '../harness/xmpp-client.js';

/** The admin the deployment was started with (GLIDER_ADMIN__JIDS). */
export const E2E_ADMIN = 'boss@localhost';

/** The deployment's env for this scenario: the admin, and XEP-0157 contact addresses (JSON: a record by domain). */
export const ADMIN_SCENARIO_ENV = {
  GLIDER_ADMIN__JIDS: E2E_ADMIN,
  GLIDER_CONTACT_ADDRESSES: JSON.stringify({ localhost: { abuse: ['mailto:abuse@localhost', 'xmpp:abuse@localhost'] } }),
};

interface StepResult {
  command: string;
  type: string;
  status?: string;
  condition?: string;
  notes?: string[];
  fields?: Record<string, string | string[]>;
}
interface AdminRun {
  ok: boolean;
  commands: string[] | null;
  results: StepResult[];
  error?: string;
}

/** Runs test/clients/slix_admin.py (Debian's slixmpp, XEP-0050/0133 plugins) and parses its line. */
function slixAdmin(args: string[]): Promise<AdminRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [join(repoRoot, 'test/clients/slix_admin.py'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('exit', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as AdminRun);
      } catch {
        reject(new Error(`slix_admin.py printed no result: ${out}${err}`));
      }
    });
  });
}

/**
 * XEP-0133 with a real slixmpp admin: add a user, change its password, list and count online
 * users, announce, disable a logged-in user (its stream closes, its next login is refused with
 * account-disabled), user statistics; a non-admin sees no commands and is forbidden.
 */
export async function adminCommandsScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const caFile = join(mkdtempSync(join(tmpdir(), 'glider-ca-')), 'ca.pem');
  writeFileSync(caFile, d.certPem());
  const victim = `vic-${tag}@${d.domain}`;
  const newbie = `newbie-${tag}@${d.domain}`;
  await addUser(E2E_ADMIN, 'boss-password', d.adminPort).catch(() => undefined); // once per deployment
  await addUser(victim, 'vic-password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const v = await connect(`xmpp://${first.host}:${first.c2sPort}`, `vic-${tag}`, 'vic-password', 'phone');
  // once disabled it must stay offline: xmpp.js would otherwise log in again and again, failing
  v.xmpp.reconnect.stop();
  const closed = new Promise<string>((resolve) => v.xmpp.on('error', (e: { condition?: string }) => e.condition && resolve(e.condition)));
  try {
    await v.send(xml('presence'));
    // XEP-0157: the configured addresses in the server's disco#info
    const info = await v.iq(xml('iq', { type: 'get', to: d.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const serverinfo = info
      .getChild('query')!
      .getChildren('x')
      .find((x) => x.getChildren('field').some((f) => f.attrs.var === 'FORM_TYPE' && f.getChildText('value') === 'http://jabber.org/network/serverinfo'));
    const abuse = serverinfo?.getChildren('field').find((f) => f.attrs.var === 'abuse-addresses');
    assert.deepEqual(
      abuse?.getChildren('value').map((x) => x.text()),
      ['mailto:abuse@localhost', 'xmpp:abuse@localhost'],
      String(info),
    );
    const steps = [
      ['add-user', { accountjid: newbie, password: 'first-pw', 'password-verify': 'first-pw' }],
      ['change-user-password', { accountjid: newbie, password: 'second-pw' }],
      ['get-online-users-num', {}],
      ['get-online-users-list', { max_items: 'none' }],
      ['announce', { subject: 'Heads up', announcement: ['Maintenance tonight', 'at 22:00'] }],
      ['disable-user', { accountjids: [victim] }],
      ['user-stats', { accountjid: newbie }],
      ['add-user', { accountjid: newbie, password: 'x-pw' }],
    ];
    const run = await slixAdmin([
      '--jid',
      `${E2E_ADMIN}/slix`,
      '--password',
      'boss-password',
      '--port',
      String(last.c2sPort),
      '--ca',
      caFile,
      '--steps',
      JSON.stringify(steps),
    ]);
    assert.ok(run.ok, JSON.stringify(run));
    assert.ok(run.commands!.includes('add-user') && run.commands!.includes('announce'), JSON.stringify(run.commands));
    const [add, passwd, num, list, announce, disable, stats, again] = run.results;
    assert.deepEqual([add!.status, add!.notes], ['completed', [`info: created ${newbie}`]]);
    assert.deepEqual(passwd!.notes, [`info: password changed for ${newbie}`]);
    assert.ok(Number(num!.fields!.onlineusersnum) >= 2, JSON.stringify(num)); // the admin and the victim
    const online = list!.fields!.onlineuserjids as string[];
    assert.ok(online.includes(victim) && online.includes(E2E_ADMIN), JSON.stringify(list));
    assert.match(announce!.notes![0]!, /^info: sent to \d+ sessions$/);
    assert.deepEqual(disable!.notes, [`info: disabled ${victim}`]);
    assert.equal(stats!.fields!.rostersize, '0');
    assert.deepEqual([again!.type, again!.condition], ['error', 'conflict']);

    const headline = await v.waitFor('the announcement', (s) => s.is('message') && s.attrs.type === 'headline');
    assert.equal(headline.getChildText('body'), 'Maintenance tonight\nat 22:00');
    assert.equal(headline.getChildText('subject'), 'Heads up');
    assert.equal(await closed, 'not-authorized', 'the disabled user is disconnected');
  } finally {
    await v.stop();
  }
  // its next login is refused (a client stopped after, or it would try again)
  const again = xmppClient({
    service: `xmpp://${first.host}:${first.c2sPort}`,
    domain: d.domain,
    username: `vic-${tag}`,
    password: 'vic-password',
    timeout: CLIENT_STEP_TIMEOUT_MS,
  });
  again.on('error', () => undefined);
  try {
    await assert.rejects(again.start(), /account-disabled/);
  } finally {
    stopReconnecting(again);
    await again.stop().catch(() => undefined);
  }
  const listed = await gliderctl(['user', 'list', d.domain], { adminPort: d.adminPort });
  assert.match(listed.stdout, new RegExp(`^vic-${tag}@localhost \\(disabled\\)$`, 'm'), 'gliderctl sees the same disabled flag');

  const login = (password: string) =>
    slixmpp(['--jid', `${newbie}/slix`, '--password', password, '--port', String(first.c2sPort), '--ca', caFile, '--timeout', '20']);
  assert.equal((await login('second-pw')).code, 0, 'the new password works');
  assert.notEqual((await login('first-pw')).code, 0, 'the old one does not');

  const stranger = await slixAdmin([
    '--jid',
    `${newbie}/slix`,
    '--password',
    'second-pw',
    '--port',
    String(first.c2sPort),
    '--ca',
    caFile,
    '--steps',
    JSON.stringify([['add-user', {}]]),
  ]);
  assert.deepEqual(stranger.commands, [], 'a non-admin sees no commands');
  assert.deepEqual([stranger.results[0]!.type, stranger.results[0]!.condition], ['error', 'forbidden']);
}
