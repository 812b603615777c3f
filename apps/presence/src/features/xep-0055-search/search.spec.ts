import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { partitionOf } from '#libs/bus';
import { startTestDirectory, TEST_DIRECTORY_GROUPS as GROUPS, TEST_DIRECTORY_PEOPLE as PEOPLE, type TestDirectory } from '#libs/directory';
import { waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, PresenceHarness } from '../../testing/presence-harness.js';

const SEARCH = 'jabber:iq:search';
const XDATA = 'jabber:x:data';
const HOST = `search.${DOMAIN}`;
const LOCAL = 'local.test';

const submit = (fields: Record<string, string | string[]>, formType = SEARCH) =>
  xml(
    'query',
    { xmlns: SEARCH },
    xml(
      'x',
      { xmlns: XDATA, type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
      ...Object.entries(fields).map(([v, val]) => xml('field', { var: v }, ...[val].flat().map((t) => xml('value', {}, t)))),
    ),
  );
/** The jid column of a result form, in order. */
const jids = (reply: Element) =>
  (reply.getChild('query', SEARCH)?.getChild('x', XDATA)?.getChildren('item') ?? []).map(
    (i) =>
      i
        .getChildren('field')
        .find((f) => f.attrs.var === 'jid')
        ?.getChildText('value') ?? '',
  );
const condition = (reply: Element) => (reply.attrs.type === 'error' ? reply.getChild('error')?.elements()[0]?.name : undefined);

/** XEP-0055 on search.<domain> against a real slapd (directory domain) and the local accounts (other domain). */
describe('XEP-0055 user search in the presence service', () => {
  let dir: TestDirectory;
  let h: PresenceHarness;
  let n = 0;

  before(async () => {
    dir = await startTestDirectory();
    h = await PresenceHarness.start({
      domains: [DOMAIN, LOCAL],
      directory: { domains: { [DOMAIN]: { ldap: dir.ldapConfig() } } },
      features: { search: { enabled: true, maxResults: 3, maxFieldChars: 40 } },
    });
    for (const u of ['alice', 'zed-disabled', 'anna', 'annabel', 'bob', 'dana']) {
      const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AA==', serverKey: 'AA==' };
      await h.storage.accounts.create({
        username: u,
        domain: LOCAL,
        scram: { 'SHA-1': cred, 'SHA-256': cred },
        createdAt: new Date(),
        disabled: u === 'zed-disabled',
      });
    }
  });
  after(async () => {
    await h?.close();
    await dir?.stop();
  });

  /** Sends an IQ from `from` and waits for its answer. */
  async function ask(from: string, to: string, type: 'get' | 'set', payload: Element): Promise<Element> {
    const s = await h.bind(`${from}/pc${++n}`);
    const id = `q${n}`;
    await h.send(s, xml('iq', { type, id, to }, payload));
    await waitFor(() => h.for(s).some((e) => e.attrs.id === id), { what: `answer to ${id}`, timeoutMs: 10_000 });
    return h.for(s).find((e) => e.attrs.id === id)!;
  }
  const alice = `alice@${DOMAIN}`;

  test('declared: search.<domain> is a service domain; disco#info names directory/user and jabber:iq:search', async () => {
    await waitFor(() => h.presence.runtime.addressing.serviceDomains().includes(HOST), { what: 'search host declared' });
    assert.ok(h.presence.runtime.addressing.serviceDomains().includes(`search.${LOCAL}`));
    assert.ok(!h.presence.runtime.addressing.discoFeatures().includes(SEARCH), 'not on the server itself: only the search host answers it');
    const info = await ask(alice, HOST, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    const q = info.getChild('query')!;
    assert.deepEqual(q.getChild('identity')?.attrs, { category: 'directory', type: 'user', name: 'User directory' });
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === SEARCH));
  });

  test('get: instructions, the legacy fields and a form with FORM_TYPE and the directory fields', async () => {
    const r = await ask(alice, HOST, 'get', xml('query', { xmlns: SEARCH }));
    const q = r.getChild('query', SEARCH)!;
    assert.ok(q.getChildText('instructions'));
    assert.deepEqual(
      q
        .elements()
        .map((e) => e.name)
        .filter((x) => ['first', 'last', 'nick', 'email'].includes(x)),
      ['first', 'last', 'nick', 'email'],
    );
    const form = q.getChild('x', XDATA)!;
    assert.equal(form.attrs.type, 'form');
    const vars = form.getChildren('field').map((f) => f.attrs.var);
    assert.deepEqual(vars, ['FORM_TYPE', 'user', 'first', 'last', 'nick', 'email', 'fn']);
  });

  test('form search: substring match, reported fields, only people who may sign on (carol outside loginFilter, dave disabled)', async () => {
    const r = await ask(alice, HOST, 'set', submit({ email: 'example.test' }));
    assert.equal(r.attrs.type, 'result');
    assert.deepEqual(jids(r), [`alice@${DOMAIN}`, `bob@${DOMAIN}`]);
    const x = r.getChild('query', SEARCH)!.getChild('x', XDATA)!;
    assert.equal(x.attrs.type, 'result');
    assert.deepEqual(
      x
        .getChild('reported')!
        .getChildren('field')
        .map((f) => f.attrs.var),
      ['jid', 'user', 'first', 'last', 'nick', 'email', 'fn'],
    );
    const bob = x.getChildren('item')[1]!;
    assert.equal(
      bob
        .getChildren('field')
        .find((f) => f.attrs.var === 'fn')
        ?.getChildText('value'),
      'Bob Builder',
    );
    assert.deepEqual(jids(await ask(alice, HOST, 'set', submit({ first: 'ALI', last: 'lidd' }))), [`alice@${DOMAIN}`], 'every field, case-insensitive');
    assert.deepEqual(jids(await ask(alice, HOST, 'set', submit({ first: 'carol' }))), [], 'carol is not in the xmpp group');
  });

  test('legacy search (§2.1): <last/> in, <item jid> with first/last/nick/email out; no match: empty query', async () => {
    const r = await ask(alice, HOST, 'set', xml('query', { xmlns: SEARCH }, xml('last', {}, 'Builder')));
    const items = r.getChild('query', SEARCH)!.getChildren('item');
    assert.deepEqual(
      items.map((i) => [i.attrs.jid, i.getChildText('first'), i.getChildText('email')]),
      [[`bob@${DOMAIN}`, 'Bob', 'bob@example.test']],
    );
    // A client echoing the query it got, instructions and empty fields included, with an RSM <set/> (not offered: ignored).
    const echo = xml(
      'query',
      { xmlns: SEARCH },
      xml('instructions', {}, 'Fill in one or more fields'),
      xml('first'),
      xml('last', {}, 'Builder'),
      xml('nick'),
      xml('email'),
      xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '5')),
    );
    const echoed = await ask(alice, HOST, 'set', echo);
    assert.deepEqual(
      echoed
        .getChild('query', SEARCH)!
        .getChildren('item')
        .map((i) => i.attrs.jid),
      [`bob@${DOMAIN}`],
    );
    const none = await ask(alice, HOST, 'set', xml('query', { xmlns: SEARCH }, xml('last', {}, 'Nobody')));
    assert.equal(none.attrs.type, 'result');
    assert.equal(none.getChild('query', SEARCH)!.elements().length, 0);
  });

  test('LDAP filter characters in a field match literally (RFC 4515), never widen the search', async () => {
    for (const text of ['*', 'x)(uid=*', '*)(|(uid=*', 'a\\2a', '\\', ')(objectClass=*']) {
      const r = await ask(alice, HOST, 'set', submit({ user: text }));
      assert.equal(r.attrs.type, 'result', `"${JSON.stringify(text)}" is a search, not an error`);
      assert.deepEqual(jids(r), [], `"${JSON.stringify(text)}" matches nobody`);
    }
  });

  test('bad input: unknown field, wrong FORM_TYPE, a form not of type submit, two values, empty search → bad-request; oversized → not-acceptable', async () => {
    assert.equal(condition(await ask(alice, HOST, 'set', submit({ shoeSize: '42' }))), 'bad-request');
    assert.equal(condition(await ask(alice, HOST, 'set', submit({ user: 'alice' }, 'urn:other'))), 'bad-request');
    const form = xml('query', { xmlns: SEARCH }, xml('x', { xmlns: XDATA, type: 'form' }, xml('field', { var: 'user' }, xml('value', {}, 'a'))));
    assert.equal(condition(await ask(alice, HOST, 'set', form)), 'bad-request');
    assert.equal(condition(await ask(alice, HOST, 'set', submit({ user: ['a', 'b'] }))), 'bad-request');
    assert.equal(condition(await ask(alice, HOST, 'set', submit({ user: '   ' }))), 'bad-request');
    assert.equal(condition(await ask(alice, HOST, 'set', xml('query', { xmlns: SEARCH }, xml('gender', {}, 'x')))), 'bad-request');
    assert.equal(condition(await ask(alice, HOST, 'set', xml('query', { xmlns: SEARCH }))), 'bad-request');
    const big = await ask(alice, HOST, 'set', submit({ user: 'a'.repeat(41) }));
    assert.equal(condition(big), 'not-acceptable');
    assert.match(big.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /40 characters/);
  });

  test('who asks: another domain’s user → forbidden; a JID at the host → service-unavailable', async () => {
    assert.equal(condition(await ask(`anna@${LOCAL}`, HOST, 'set', submit({ user: 'a' }))), 'forbidden');
    assert.equal(condition(await ask(alice, `someone@${HOST}`, 'get', xml('query', { xmlns: SEARCH }))), 'service-unavailable');
  });

  test('more matches than maxResults: the first ones and instructions that say so (directory and local)', async () => {
    const uids = Array.from({ length: 5 }, (_, i) => `many${i}`);
    await dir.slapd.add(
      uids.map((u) => `dn: uid=${u},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${u}\ncn: Many ${u}\nsn: Many\nmail: ${u}@example.test\n`).join('\n'),
    );
    await dir.slapd.modify(`dn: cn=xmpp,${GROUPS}\nchangetype: modify\nadd: member\n${uids.map((u) => `member: uid=${u},${PEOPLE}`).join('\n')}\n`);
    // A uid that is no XMPP local part is not listed.
    await dir.slapd.add(`dn: uid=many space,${PEOPLE}\nobjectClass: inetOrgPerson\nuid: many space\ncn: Many Space\nsn: Manyspace\n`);
    await dir.slapd.modify(`dn: cn=xmpp,${GROUPS}\nchangetype: modify\nadd: member\nmember: uid=many space,${PEOPLE}\n`);
    assert.deepEqual(jids(await ask(alice, HOST, 'set', submit({ last: 'manyspace' }))), []);
    const r = await ask(alice, HOST, 'set', submit({ last: 'many' }));
    assert.equal(jids(r).length, 3);
    assert.match(r.getChild('query', SEARCH)!.getChild('x', XDATA)!.getChildText('instructions') ?? '', /first 3/);
    const all = await ask(alice, HOST, 'set', submit({ last: 'many', user: 'many4' }));
    assert.deepEqual(jids(all), [`many4@${DOMAIN}`]);
    assert.equal(all.getChild('query', SEARCH)!.getChild('x', XDATA)!.getChildText('instructions'), undefined, 'not cut: no such instructions');
    const local = await ask(`anna@${LOCAL}`, `search.${LOCAL}`, 'set', submit({ user: 'a' }));
    assert.deepEqual(jids(local), [`alice@${LOCAL}`, `anna@${LOCAL}`, `annabel@${LOCAL}`]);
    assert.match(local.getChild('query', SEARCH)!.getChild('x', XDATA)!.getChildText('instructions') ?? '', /first 3/);
  });

  test('local accounts: the username and the stored vCard (first, last, nick, email, fn); disabled accounts left out', async () => {
    const vcard = (...c: Element[]) => xml('vCard', { xmlns: 'vcard-temp' }, ...c).toString();
    await h.storage.vcards.set(
      `anna@${LOCAL}`,
      vcard(
        xml('FN', {}, 'Anna Karenina'),
        xml('N', {}, xml('FAMILY', {}, 'Karenina'), xml('GIVEN', {}, 'Anna')),
        xml('EMAIL', {}, xml('USERID', {}, 'anna@rail.test')),
      ),
    );
    await h.storage.vcards.set(`annabel@${LOCAL}`, vcard(xml('FN', {}, 'Annabel Lee'), xml('NICKNAME', {}, 'belle')));
    await h.storage.vcards.set(`zed-disabled@${LOCAL}`, vcard(xml('FN', {}, 'Zed Karenin')));
    await h.storage.vcards.set(`bob@${LOCAL}`, 'not xml at all');
    const ask2 = (p: Element) => ask(`anna@${LOCAL}`, `search.${LOCAL}`, 'set', p);
    const form = await ask(`anna@${LOCAL}`, `search.${LOCAL}`, 'get', xml('query', { xmlns: SEARCH }));
    const q = form.getChild('query', SEARCH)!;
    assert.deepEqual(
      q
        .getChild('x', XDATA)!
        .getChildren('field')
        .map((f) => f.attrs.var),
      ['FORM_TYPE', 'user', 'first', 'last', 'nick', 'email', 'fn'],
    );
    assert.deepEqual(jids(await ask2(submit({ user: 'NNA' }))), [`anna@${LOCAL}`, `annabel@${LOCAL}`]);
    assert.deepEqual(jids(await ask2(submit({ user: 'zed' }))), [], 'disabled');
    assert.deepEqual(jids(await ask2(submit({ fn: 'karen' }))), [`anna@${LOCAL}`], 'zed-disabled’s vCard matches too, but he is disabled');
    assert.deepEqual(jids(await ask2(submit({ email: 'rail.test', last: 'KAR' }))), [`anna@${LOCAL}`]);
    assert.deepEqual(jids(await ask2(submit({ nick: 'belle', user: 'anna' }))), [`annabel@${LOCAL}`]);
    assert.deepEqual(jids(await ask2(submit({ nick: 'belle', user: 'bob' }))), [], 'every filled field must match; an unreadable vCard matches nothing');
    const legacy = await ask2(xml('query', { xmlns: SEARCH }, xml('first', {}, 'anna')));
    assert.deepEqual(
      legacy
        .getChild('query', SEARCH)!
        .getChildren('item')
        .map((i) => [i.attrs.jid, i.getChildText('first'), i.getChildText('email')]),
      [[`anna@${LOCAL}`, 'Anna', 'anna@rail.test']],
    );
  });

  test('directory down: remote-server-timeout (wait), answered within the timeouts; back once it is up', async () => {
    await dir.slapd.kill();
    try {
      const r = await ask(alice, HOST, 'set', submit({ user: 'bob' }));
      assert.equal(condition(r), 'remote-server-timeout');
      assert.equal(r.getChild('error')!.attrs.type, 'wait');
    } finally {
      await dir.slapd.start();
    }
    await waitFor(async () => jids(await ask(alice, HOST, 'set', submit({ user: 'bob' }))).length === 1, { what: 'search works again', timeoutMs: 20_000 });
  });
});

describe('XEP-0055 against a directory that never answers', () => {
  test('remote-server-timeout within the ldap timeouts, and presence of the same partition is not held up meanwhile', async () => {
    const sockets = new Set<Socket>();
    const tarpit: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
    const port = (tarpit.address() as { port: number }).port;
    const h = await PresenceHarness.start({
      directory: {
        domains: {
          [DOMAIN]: {
            ldap: { url: `ldap://127.0.0.1:${port}`, startTls: true, userBase: 'ou=people,dc=x', operationTimeoutMs: 1_500, connectTimeoutMs: 1_500 },
          },
        },
      },
      features: { search: { enabled: true, maxConcurrent: 1 } },
    });
    try {
      // A user whose roster IQs go to the same partition as the search host.
      const partitions = h.config.bus.partitions;
      const local = Array.from({ length: 200 }, (_, i) => `u${i}`).find((u) => partitionOf(`${u}@${DOMAIN}`, partitions) === partitionOf(HOST, partitions))!;
      await h.createUser(local);
      const s = await h.bind(`${local}@${DOMAIN}/pc`);
      await h.send(s, xml('iq', { type: 'set', id: 'search', to: HOST }, submit({ user: 'bob' })));
      await h.send(s, xml('iq', { type: 'get', id: 'roster' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      // maxConcurrent 1: a second search while the first waits is refused at once.
      await h.send(s, xml('iq', { type: 'set', id: 'second', to: `search.${DOMAIN}` }, submit({ user: 'carol' })));
      await waitFor(() => h.for(s).some((e) => e.attrs.id === 'search'), { what: 'the search answer', timeoutMs: 10_000 });
      const order = h.for(s).map((e) => e.attrs.id);
      assert.deepEqual(order, ['roster', 'second', 'search'], 'the roster get and the second search, sent after the search, were answered first');
      assert.equal(condition(h.for(s).find((e) => e.attrs.id === 'second')!), 'resource-constraint');
      const answer = h.for(s).find((e) => e.attrs.id === 'search')!;
      assert.equal(condition(answer), 'remote-server-timeout');
      assert.equal(answer.getChild('error')!.attrs.type, 'wait');
    } finally {
      await h.close();
      for (const sock of sockets) sock.destroy();
      tarpit.close();
    }
  });
});

describe('XEP-0055 off (the default)', () => {
  test('no search host is declared, so nothing lists it and an IQ to it goes nowhere here', async () => {
    const h = await PresenceHarness.start();
    try {
      assert.ok(!h.presence.runtime.addressing.serviceDomains().includes(HOST));
      assert.ok(!h.presence.runtime.addressing.serviceDomains().some((d: string) => d.startsWith('search.')));
    } finally {
      await h.close();
    }
  });
});
