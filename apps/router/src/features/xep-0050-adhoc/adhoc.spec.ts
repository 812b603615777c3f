import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeFrame, subjects, type EdgeControl } from '#libs/bus';
import { waitFor } from '#libs/testing';
import { Element, xml } from '#libs/xml';
import type { SessionInfo } from '#libs/sessions';
import { DOMAIN, RouterHarness, errorCondition, type FakeEdge } from '../../testing/router-harness.js';

const CMD = 'http://jabber.org/protocol/commands';
const ADMIN = 'http://jabber.org/protocol/admin';
const XDATA = 'jabber:x:data';

/** A submitted form: [var, values] pairs, with XEP-0133's FORM_TYPE. */
function submit(fields: [string, string[]][], type = 'submit'): Element {
  return xml(
    'x',
    { xmlns: XDATA, type },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, ADMIN)),
    ...fields.map(([v, values]) => xml('field', { var: v }, ...values.map((x) => xml('value', {}, x)))),
  );
}

function command(node: string, attrs: Record<string, string> = {}, form?: Element): Element {
  return xml('iq', { to: DOMAIN, type: 'set' }, xml('command', { xmlns: CMD, node, ...attrs }, form));
}

/** The app-specific XEP-0050 condition of an error (§4.6). */
const adhocCondition = (el: Element) =>
  el
    .getChild('error')
    ?.elements()
    .find((c) => c.xmlns === CMD)?.name;
const cmdOf = (el: Element) => el.getChild('command', CMD)!;
const fieldValues = (el: Element, v: string) =>
  cmdOf(el)
    .getChild('x', XDATA)!
    .getChildren('field')
    .find((f) => f.attrs.var === v)
    ?.getChildren('value')
    .map((x) => x.text());

describe('XEP-0050 ad-hoc commands with XEP-0133 administration', () => {
  let h: RouterHarness;
  let edge: FakeEdge;
  let admin: SessionInfo;
  let user: SessionInfo;

  /** Executes `node` as `who`, then completes its form with `fields`; returns the final answer. */
  async function run(who: SessionInfo, node: string, fields: [string, string[]][]): Promise<Element> {
    const first = await edge.ask(who, command(`${ADMIN}#${node}`));
    assert.equal(first.attrs.type, 'result', first.toString());
    const sid = cmdOf(first).attrs.sessionid!;
    return edge.ask(who, command(`${ADMIN}#${node}`, { sessionid: sid, action: 'complete' }, submit(fields)));
  }
  const notes = (el: Element) =>
    cmdOf(el)
      .getChildren('note')
      .map((n) => `${n.attrs.type}: ${n.text()}`);

  before(async () => {
    h = await RouterHarness.start({ config: { admin: { jids: [`boss@${DOMAIN}`, `Chief@${DOMAIN}`] }, router: { adhocMaxSessionsPerUser: 3 } } });
    edge = h.edge();
    await h.createUser('boss');
    await h.createUser('mallory');
    admin = await edge.bind(`boss@${DOMAIN}/desk`);
    user = await edge.bind(`mallory@${DOMAIN}/pc`);
  });
  after(() => h.close());

  it('advertises the commands feature and lists admin commands to admins only (§2.1, §2.2)', async () => {
    const info = await edge.ask(user, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      info
        .getChild('query')!
        .getChildren('feature')
        .some((f) => f.attrs.var === CMD),
    );
    const items = (who: SessionInfo) =>
      edge.ask(who, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: CMD })));
    const forAdmin = (await items(admin)).getChild('query')!.getChildren('item');
    assert.deepEqual(forAdmin.map((i) => i.attrs.node!.replace(`${ADMIN}#`, '')).sort(), [
      'add-user',
      'announce',
      'change-user-password',
      'delete-user',
      'disable-user',
      'get-online-users-list',
      'get-online-users-num',
      'reenable-user',
      'user-stats',
    ]);
    assert.ok(forAdmin.every((i) => i.attrs.jid === DOMAIN && i.attrs.name));
    assert.deepEqual((await items(user)).getChild('query')!.getChildren('item'), []);
    const nodeInfo = (who: SessionInfo) =>
      edge.ask(who, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: `${ADMIN}#add-user` })));
    const adminInfo = (await nodeInfo(admin)).getChild('query')!;
    assert.equal(adminInfo.getChild('identity')?.attrs.type, 'command-node');
    assert.deepEqual(
      adminInfo.getChildren('feature').map((f) => f.attrs.var),
      [CMD, XDATA],
    );
    assert.equal(errorCondition(await nodeInfo(user)), 'item-not-found');
  });

  it('refuses a non-admin with forbidden, and an unknown node with item-not-found', async () => {
    assert.equal(errorCondition(await edge.ask(user, command(`${ADMIN}#add-user`))), 'forbidden');
    assert.equal(errorCondition(await edge.ask(admin, command(`${ADMIN}#no-such-command`))), 'item-not-found');
  });

  it('adds a user through the form, then refuses the same user with conflict (XEP-0133 §4.1)', async () => {
    const first = await edge.ask(admin, command(`${ADMIN}#add-user`, { action: 'execute' }));
    const c = cmdOf(first);
    assert.equal(c.attrs.status, 'executing');
    assert.match(c.attrs.sessionid ?? '', /^[0-9a-f]{24}$/);
    assert.equal(c.getChild('actions')?.attrs.execute, 'complete');
    const form = c.getChild('x', XDATA)!;
    assert.equal(form.attrs.type, 'form');
    assert.deepEqual(
      form.getChildren('field').map((f) => `${f.attrs.var}:${f.attrs.type}${f.getChild('required') ? '!' : ''}`),
      ['FORM_TYPE:hidden', 'accountjid:jid-single!', 'password:text-private!', 'password-verify:text-private'],
    );
    const done = await edge.ask(
      admin,
      command(
        `${ADMIN}#add-user`,
        { sessionid: c.attrs.sessionid! },
        submit([
          ['accountjid', ['Juliet@example.com']],
          ['password', ['R0m30-pw']],
          ['password-verify', ['R0m30-pw']],
        ]),
      ),
    );
    assert.equal(cmdOf(done).attrs.status, 'completed', done.toString());
    assert.deepEqual(notes(done), ['info: created juliet@example.com']);
    assert.equal((await h.storage.accounts.get('juliet', DOMAIN))?.disabled, false);
    const again = await run(admin, 'add-user', [
      ['accountjid', ['juliet@example.com']],
      ['password', ['x-pw']],
    ]);
    assert.equal(errorCondition(again), 'conflict');
  });

  it('answers bad input with the XEP-0050 §4.6 conditions', async () => {
    assert.equal(adhocCondition(await edge.ask(admin, command(`${ADMIN}#add-user`, { action: 'frobnicate' }))), 'malformed-action');
    const unknown = await edge.ask(admin, command(`${ADMIN}#add-user`, { sessionid: 'deadbeefdeadbeefdeadbeef', action: 'complete' }));
    assert.equal(errorCondition(unknown), 'bad-request');
    assert.equal(adhocCondition(unknown), 'bad-sessionid');
    // the request's <command/> comes back with the error: clients (slixmpp) match errors to sessions by it
    assert.deepEqual(unknown.getChild('command', CMD)?.attrs, { xmlns: CMD, node: `${ADMIN}#add-user`, sessionid: 'deadbeefdeadbeefdeadbeef' });
    assert.equal(adhocCondition(await edge.ask(admin, command(`${ADMIN}#add-user`, { action: 'complete' }))), 'bad-sessionid');

    const sid = cmdOf(await edge.ask(admin, command(`${ADMIN}#add-user`))).attrs.sessionid!;
    const step = (attrs: Record<string, string>, form?: Element) => edge.ask(admin, command(`${ADMIN}#add-user`, { sessionid: sid, ...attrs }, form));
    assert.equal(adhocCondition(await step({ action: 'next' })), 'bad-action');
    assert.equal(adhocCondition(await step({ action: 'prev' })), 'bad-action');
    const noForm = await step({ action: 'complete' });
    assert.equal(errorCondition(noForm), 'bad-request');
    assert.equal(adhocCondition(noForm), 'bad-payload');
    assert.equal(adhocCondition(await step({}, submit([['accountjid', ['romeo@example.com']]], 'form'))), 'bad-payload', 'a form, not a submit');
    const missing = await step({}, submit([['accountjid', ['romeo@example.com']]]));
    assert.match(missing.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /"password" is required/);
    assert.equal(
      adhocCondition(
        await step(
          {},
          submit([
            ['accountjid', ['a@b@c']],
            ['password', ['pw-pw']],
          ]),
        ),
      ),
      'bad-payload',
      'not a JID',
    );
    assert.equal(
      adhocCondition(
        await step(
          {},
          submit([
            ['accountjid', ['x@example.com', 'y@example.com']],
            ['password', ['pw-pw']],
          ]),
        ),
      ),
      'bad-payload',
      'two values',
    );
    const badType = xml('x', { xmlns: XDATA, type: 'submit' }, xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'urn:other')));
    assert.equal(adhocCondition(await step({}, badType)), 'bad-payload', 'another FORM_TYPE');

    // another resource of the same admin cannot continue it (§3.3)
    const other = await edge.bind(`boss@${DOMAIN}/phone`);
    assert.equal(
      adhocCondition(
        await edge.ask(
          other,
          command(
            `${ADMIN}#add-user`,
            { sessionid: sid },
            submit([
              ['accountjid', ['r@example.com']],
              ['password', ['pw-pw']],
            ]),
          ),
        ),
      ),
      'bad-sessionid',
    );
    // nor can another command
    assert.equal(adhocCondition(await edge.ask(admin, command(`${ADMIN}#delete-user`, { sessionid: sid }))), 'bad-sessionid');

    const cancelled = await step({ action: 'cancel' });
    assert.equal(cmdOf(cancelled).attrs.status, 'canceled');
    assert.equal(
      adhocCondition(
        await step(
          {},
          submit([
            ['accountjid', ['romeo@example.com']],
            ['password', ['pw-pw']],
          ]),
        ),
      ),
      'bad-sessionid',
      'over once cancelled',
    );
    assert.equal(await h.storage.accounts.get('romeo', DOMAIN), undefined);
    // AdminOperations' own checks (the same as gliderctl's) end the session with bad-payload
    const elsewhere = await run(admin, 'add-user', [
      ['accountjid', ['x@elsewhere.org']],
      ['password', ['pw-pw']],
    ]);
    assert.equal(adhocCondition(elsewhere), 'bad-payload');
    assert.match(elsewhere.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /does not serve the domain elsewhere\.org/);
  });

  it('limits the open sessions of one requester (router.adhocMaxSessionsPerUser)', async () => {
    const other = await edge.bind(`chief@${DOMAIN}/tablet`); // an admin with no session open yet
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) sids.push(cmdOf(await edge.ask(other, command(`${ADMIN}#announce`))).attrs.sessionid!);
    assert.equal(errorCondition(await edge.ask(other, command(`${ADMIN}#announce`))), 'resource-constraint');
    for (const sid of sids) await edge.ask(other, command(`${ADMIN}#announce`, { sessionid: sid, action: 'cancel' }));
    assert.equal(cmdOf(await edge.ask(other, command(`${ADMIN}#announce`))).attrs.status, 'executing');
  });

  it('changes a password, disables (sessions closed) and re-enables, deletes with a note per account', async () => {
    const controls: EdgeControl[] = [];
    const sub = h.bus.subscribe(subjects.edgeControl(edge.id), (m) => {
      const f = decodeFrame(m.data);
      if (f.control) controls.push(f.control);
    });
    try {
      await h.createUser('tybalt');
      const before = (await h.storage.accounts.get('tybalt', DOMAIN))!.scram;
      const t = await edge.bind(`tybalt@${DOMAIN}/sword`);
      const pw = await run(admin, 'change-user-password', [
        ['accountjid', ['tybalt@example.com']],
        ['password', ['new-secret']],
      ]);
      assert.deepEqual(notes(pw), ['info: password changed for tybalt@example.com']);
      assert.notDeepEqual((await h.storage.accounts.get('tybalt', DOMAIN))!.scram, before);

      const off = await run(admin, 'disable-user', [['accountjids', ['tybalt@example.com']]]);
      assert.deepEqual(notes(off), ['info: disabled tybalt@example.com']);
      assert.equal((await h.storage.accounts.get('tybalt', DOMAIN))!.disabled, true);
      await waitFor(() => controls.some((c) => c.sessionId === t.sessionId && c.condition === 'not-authorized'), { what: 'the disabled user closed' });
      const on = await run(admin, 'reenable-user', [['accountjids', ['tybalt@example.com']]]);
      assert.deepEqual(notes(on), ['info: re-enabled tybalt@example.com']);
      assert.equal((await h.storage.accounts.get('tybalt', DOMAIN))!.disabled, false);

      const del = await run(admin, 'delete-user', [['accountjids', ['tybalt@example.com', 'nobody@example.com']]]);
      assert.deepEqual(notes(del), ['info: deleted tybalt@example.com', 'error: user nobody@example.com does not exist']);
      assert.equal(await h.storage.accounts.get('tybalt', DOMAIN), undefined);
    } finally {
      await sub.unsubscribe();
    }
  });

  it('counts and lists online users, gives user statistics, and announces to available sessions', async () => {
    const num = await edge.ask(admin, command(`${ADMIN}#get-online-users-num`));
    assert.equal(cmdOf(num).attrs.status, 'completed');
    const online = h.registry.all().map((s) => s.jid.split('/')[0]!);
    const expected = [...new Set(online)].sort();
    assert.deepEqual(fieldValues(num, 'onlineusersnum'), [String(expected.length)]);
    const list = await run(admin, 'get-online-users-list', [['max_items', ['25']]]);
    assert.deepEqual(fieldValues(list, 'onlineuserjids'), expected);
    const limited = await run(admin, 'get-online-users-list', [['max_items', ['none']]]);
    assert.deepEqual(fieldValues(limited, 'onlineuserjids'), expected);
    assert.equal(adhocCondition(await run(admin, 'get-online-users-list', [['max_items', ['7']]])), 'bad-payload', 'not an option');

    const stats = await run(admin, 'user-stats', [['accountjid', ['mallory@example.com']]]);
    assert.deepEqual(fieldValues(stats, 'onlineresources'), ['pc']);
    assert.deepEqual(fieldValues(stats, 'rostersize'), ['0']);
    assert.equal(errorCondition(await run(admin, 'user-stats', [['accountjid', ['nobody@example.com']]])), 'item-not-found');

    const away = await edge.bind(`mallory@${DOMAIN}/away`, { available: false });
    edge.clear();
    const sent = await run(admin, 'announce', [
      ['subject', ['Maintenance']],
      ['announcement', ['Down at 22:00', 'for ten minutes']],
    ]);
    const availableNow = h.registry.all().filter((s) => s.available).length;
    assert.deepEqual(notes(sent), [`info: sent to ${availableNow} sessions`]);
    const got = edge.for(user).find((e) => e.name === 'message')!;
    assert.equal(got.attrs.type, 'headline');
    assert.equal(got.attrs.from, DOMAIN);
    assert.equal(got.getChildText('subject'), 'Maintenance');
    assert.equal(got.getChildText('body'), 'Down at 22:00\nfor ten minutes');
    assert.equal(edge.for(away).filter((e) => e.name === 'message').length, 0, 'an unavailable session gets no announcement');
  });
});

describe('XEP-0050 session expiry', () => {
  it('answers a stage after router.adhocSessionTimeoutMs with session-expired (not-allowed)', async () => {
    const h = await RouterHarness.start({ config: { admin: { jids: [`boss@${DOMAIN}`] }, router: { adhocSessionTimeoutMs: 1000 } } });
    try {
      const edge = h.edge();
      const admin = await edge.bind(`boss@${DOMAIN}/desk`);
      const sid = cmdOf(await edge.ask(admin, command(`${ADMIN}#announce`))).attrs.sessionid!;
      let answer: Element | undefined;
      await waitFor(
        async () => {
          // prev is refused (bad-action) while the session lives, and leaves it open
          answer = await edge.ask(admin, command(`${ADMIN}#announce`, { sessionid: sid, action: 'prev' }));
          return adhocCondition(answer) !== 'bad-action';
        },
        { what: 'the session to expire', timeoutMs: 10_000, intervalMs: 200 },
      );
      assert.equal(errorCondition(answer!), 'not-allowed');
      assert.equal(adhocCondition(answer!), 'session-expired');
    } finally {
      await h.close();
    }
  });
});
