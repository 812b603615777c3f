import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestDirectory, type TestDirectory } from '#libs/directory';
import { freePort } from '#libs/testing';
import { xml } from '#libs/xml';
import { RouterHarness, errorCondition } from '../testing/router-harness.js';

/**
 * A directory user who never signed in has no account record yet; routing asks the directory
 * (libs/directory DirectoryProvisioning, docs/directory.md "Users who never signed in") against a
 * real slapd: alice and bob may sign on, carol is outside the login filter, dave is disabled.
 */
describe('routing to directory users who never signed in', () => {
  let dir: TestDirectory;
  let h: RouterHarness;
  let local: string;

  before(async () => {
    dir = await startTestDirectory();
    h = await RouterHarness.start({ config: { directory: { domains: { 'example.com': { ldap: dir.ldapConfig() } } } } });
    local = await h.createUser('sender'); // a local record, as an earlier login would have made
  });
  after(async () => {
    await h?.close();
    await dir?.stop();
  });

  test('a message to bob is stored offline (his account record made as at a first login) and delivered at his first login', async () => {
    assert.equal(await h.storage.accounts.get('bob', 'example.com'), undefined);
    const edge = h.edge();
    const s = await edge.bind(`${local}/pc`);
    assert.deepEqual(await edge.send(s, xml('message', { to: 'bob@example.com', type: 'chat', id: 'm1' }, xml('body', {}, 'welcome'))), { taken: true });
    await h.delivered();
    assert.deepEqual(edge.for(s), [], 'no bounce');
    const record = await h.storage.accounts.get('bob', 'example.com');
    assert.ok(record, 'account record made');
    assert.equal(record.disabled, false);
    assert.ok(record.scram['SHA-256'].storedKey, 'SCRAM keys (random), as the first login makes them');
    assert.equal(await h.storage.offline.count('bob@example.com'), 1);
    const b = await edge.bind('bob@example.com/phone');
    await h.available(b);
    const [got] = await edge.waitFor(b, 1);
    assert.equal(got!.getChildText('body'), 'welcome');
  });

  test('an IQ to alice (never signed in) reaches her account instead of bouncing', async () => {
    const edge = h.edge('edge-iq');
    const s = await edge.bind(`${local}/iq`);
    const r = await edge.ask(s, xml('iq', { type: 'get', to: 'alice@example.com' }, xml('vCard', { xmlns: 'vcard-temp' })));
    assert.equal(r.attrs.type, 'result', r.toString());
    assert.ok(await h.storage.accounts.get('alice', 'example.com'));
  });

  test('unknown names, people outside the login filter (carol) and disabled people (dave) still bounce service-unavailable', async () => {
    const edge = h.edge('edge-2');
    const s = await edge.bind(`${local}/two`);
    for (const to of ['nobody', 'carol', 'dave']) {
      await edge.send(s, xml('message', { to: `${to}@example.com`, type: 'chat', id: to }, xml('body', {}, 'hi')));
      await edge.send(s, xml('iq', { to: `${to}@example.com`, type: 'get', id: `iq-${to}` }, xml('vCard', { xmlns: 'vcard-temp' })));
    }
    await h.delivered();
    assert.deepEqual(
      edge.for(s).map((e) => [e.attrs.id, errorCondition(e)]),
      ['nobody', 'iq-nobody', 'carol', 'iq-carol', 'dave', 'iq-dave'].map((id) => [id, 'service-unavailable']),
    );
    for (const to of ['nobody', 'carol', 'dave']) assert.equal(await h.storage.accounts.get(to, 'example.com'), undefined);
  });

  test('provisionOnLookup: false leaves users who never signed in unknown until they do', async () => {
    const off = await RouterHarness.start({ config: { directory: { domains: { 'example.com': { ldap: dir.ldapConfig(), provisionOnLookup: false } } } } });
    try {
      const sender = await off.createUser('sender');
      const edge = off.edge();
      const s = await edge.bind(`${sender}/pc`);
      await edge.send(s, xml('message', { to: 'alice@example.com', type: 'chat', id: 'off' }, xml('body', {}, 'hi')));
      await off.delivered();
      assert.deepEqual(
        edge.for(s).map((e) => errorCondition(e)),
        ['service-unavailable'],
      );
    } finally {
      await off.close();
    }
  });

  test('directory down: a wait error (remote-server-timeout), no record, no offline copy; accounts with a record are unaffected', async () => {
    const down = await RouterHarness.start({
      config: { directory: { domains: { 'example.com': { ldap: dir.ldapConfig({ url: `ldap://localhost:${await freePort()}` }) } } } },
    });
    try {
      const sender = await down.createUser('sender');
      const known = await down.createUser('known');
      const edge = down.edge();
      const s = await edge.bind(`${sender}/pc`);
      await edge.send(s, xml('message', { to: 'alice@example.com', type: 'chat', id: 'm' }, xml('body', {}, 'hi')));
      await edge.send(s, xml('iq', { to: 'alice@example.com', type: 'get', id: 'q' }, xml('vCard', { xmlns: 'vcard-temp' })));
      await edge.send(s, xml('message', { to: known, type: 'chat', id: 'k' }, xml('body', {}, 'stored')));
      await down.delivered();
      const errors = edge.for(s);
      assert.deepEqual(
        errors.map((e) => [e.attrs.id, errorCondition(e), e.getChild('error')?.attrs.type]),
        [
          ['m', 'remote-server-timeout', 'wait'],
          ['q', 'remote-server-timeout', 'wait'],
        ],
      );
      assert.equal(await down.storage.accounts.get('alice', 'example.com'), undefined);
      assert.equal(await down.storage.offline.count('alice@example.com'), 0);
      assert.equal(await down.storage.offline.count(known), 1);
    } finally {
      await down.close();
    }
  });
});
