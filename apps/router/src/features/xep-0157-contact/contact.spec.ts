import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '#libs/config';
import { xml } from '#libs/xml';
import { DOMAIN, RouterHarness } from '../../testing/router-harness.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const SERVERINFO = 'http://jabber.org/network/serverinfo';

async function serverInfo(config: Record<string, unknown>) {
  const h = await RouterHarness.start({ config });
  try {
    const edge = h.edge();
    const s = await edge.bind(`${await h.createUser('alice')}/pc`);
    const answer = await edge.ask(s, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: INFO })));
    return answer.getChild('query', INFO)!;
  } finally {
    await h.close();
  }
}

test('XEP-0157: the configured addresses of the domain as the serverinfo form in disco#info', async () => {
  const query = await serverInfo({
    domains: [DOMAIN, 'other.org'],
    contactAddresses: {
      [DOMAIN]: { abuse: ['mailto:abuse@example.com'], support: ['xmpp:support@example.com', 'https://example.com/help'] },
      'other.org': { admin: ['mailto:root@other.org'] },
    },
  });
  const forms = query.getChildren('x', 'jabber:x:data');
  assert.equal(forms.length, 1);
  assert.equal(forms[0]!.attrs.type, 'result');
  assert.deepEqual(
    forms[0]!.getChildren('field').map((f) => [f.attrs.var, f.getChildren('value').map((v) => v.text())]),
    [
      ['FORM_TYPE', [SERVERINFO]],
      ['abuse-addresses', ['mailto:abuse@example.com']],
      ['support-addresses', ['xmpp:support@example.com', 'https://example.com/help']],
    ],
  );
});

test('XEP-0157: no form when the domain has no addresses', async () => {
  const query = await serverInfo({ contactAddresses: { [DOMAIN]: {} } });
  assert.equal(query.getChildren('x', 'jabber:x:data').length, 0);
  assert.equal((await serverInfo({})).getChildren('x', 'jabber:x:data').length, 0);
});

test('XEP-0157: an address that is not a URI is a config error', () => {
  assert.throws(() => configSchema.parse({ contactAddresses: { [DOMAIN]: { abuse: ['abuse@example.com'] } } }), /URI/);
});
