import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestDirectory, type TestDirectory } from '#libs/directory';
import { freePort } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, PresenceHarness } from '../../testing/presence-harness.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const presences = (els: Element[], type?: string) => els.filter((e) => e.name === 'presence' && e.attrs.type === type);

/**
 * RFC 6121 §3.1.3 to a directory user who never signed in (docs/directory.md "Users who never
 * signed in"), against a real slapd: bob may sign on, dave is disabled.
 */
describe('subscription requests to directory users who never signed in', () => {
  let dir: TestDirectory;
  before(async () => {
    dir = await startTestDirectory();
  });
  after(() => dir?.stop());

  test('a request to bob waits for his first login (record made); unknown and disabled names get unsubscribed', async () => {
    const h = await PresenceHarness.start({ directory: { domains: { [DOMAIN]: { ldap: dir.ldapConfig() } } } });
    try {
      const alice = await h.createUser('alice');
      const a = await h.login(`${alice}/pc`);
      await h.delivered();
      h.clear();
      for (const to of ['bob', 'nobody', 'dave']) await h.send(a, xml('presence', { to: `${to}@${DOMAIN}`, type: 'subscribe' }));
      await h.delivered();
      assert.deepEqual(
        presences(h.for(a), 'unsubscribed')
          .map((p) => p.attrs.from)
          .sort(),
        [`dave@${DOMAIN}`, `nobody@${DOMAIN}`],
      );
      assert.ok(await h.storage.accounts.get('bob', DOMAIN), 'record made as at a first login');
      assert.equal(await h.storage.accounts.get('dave', DOMAIN), undefined);
      const b = await h.login(`bob@${DOMAIN}/phone`);
      const got = await h.waitFor(b, 1);
      assert.equal(presences(got, 'subscribe')[0]?.attrs.from, alice);
    } finally {
      await h.close();
    }
  });

  test('directory down: the request gets a wait error (remote-server-timeout), not unsubscribed', async () => {
    const h = await PresenceHarness.start({ directory: { domains: { [DOMAIN]: { ldap: dir.ldapConfig({ url: `ldap://localhost:${await freePort()}` }) } } } });
    try {
      const alice = await h.createUser('alice');
      const a = await h.login(`${alice}/pc`);
      await h.delivered();
      h.clear();
      await h.send(a, xml('presence', { to: `bob@${DOMAIN}`, type: 'subscribe', id: 's1' }));
      await h.delivered();
      assert.equal(presences(h.for(a), 'unsubscribed').length, 0);
      const [err] = presences(h.for(a), 'error');
      assert.equal(err?.attrs.id, 's1');
      assert.equal(err?.attrs.from, `bob@${DOMAIN}`);
      assert.equal(err?.getChild('error')?.attrs.type, 'wait');
      assert.ok(err?.getChild('error')?.getChild('remote-server-timeout', STANZAS), err?.toString());
      assert.equal(await h.storage.accounts.get('bob', DOMAIN), undefined);
    } finally {
      await h.close();
    }
  });
});
