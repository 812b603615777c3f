import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser, gliderctl } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { client as xmppClient } from '@xmpp/client';
import { connect, isPresence, stopReconnecting, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

const REGISTER = 'jabber:iq:register';
const ROSTER = 'jabber:iq:roster';

/** Resolves with the condition of the stream error that ends `c` (xmpp.js emits it as an error). */
function streamError(c: TestClient): Promise<string> {
  return new Promise((resolve) => c.xmpp.on('error', (err: { condition?: string }) => err.condition && resolve(err.condition)));
}

/** Whether a login with these credentials is refused (the client is stopped either way). */
async function refused(service: string, username: string, password: string): Promise<boolean> {
  const x = xmppClient({ service, domain: 'localhost', username, password, resource: 'probe' });
  x.on('error', () => {});
  try {
    await x.start();
    return false;
  } catch {
    return true;
  } finally {
    stopReconnecting(x);
    await x.stop().catch(() => {});
  }
}

describe('XEP-0077 account management with a real client (xmpp.js on standalone)', () => {
  let d: Deployment;
  const clients: TestClient[] = [];
  before(async () => {
    d = await startStandalone();
    trustCertificate(d.certPem());
  });
  after(async () => {
    for (const c of clients) await c.stop();
    await d?.stop();
  });

  it('changes the password in band, then removes the account: subscriptions cancelled, sessions ended, login refused', async () => {
    const e = d.edges[0]!;
    const service = `xmpp://${e.host}:${e.c2sPort}`;
    const login = async (user: string, password: string, resource: string) => {
      const c = await connect(service, user, password, resource);
      clients.push(c);
      return c;
    };
    await addUser(`carla@${d.domain}`, 'carla-old-pw', d.adminPort);
    await addUser(`dan@${d.domain}`, 'dan-secret-pw', d.adminPort);
    const pc = await login('carla', 'carla-old-pw', 'pc');
    const phone = await login('carla', 'carla-old-pw', 'phone');
    const dan = await login('dan', 'dan-secret-pw', 'desk');
    await dan.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    await dan.send(xml('presence'));
    await pc.send(xml('presence'));
    await pc.send(xml('presence', { to: `dan@${d.domain}`, type: 'subscribe' }));
    await dan.waitFor('subscribe from carla', isPresence(`carla@${d.domain}`, 'subscribe'));
    await dan.send(xml('presence', { to: `carla@${d.domain}`, type: 'subscribed' }));
    await pc.waitFor('subscribed from dan', isPresence(`dan@${d.domain}`, 'subscribed'));

    // §3.3: a new password; the other session, logged in with the old one, ends with <reset/>
    const phoneEnds = streamError(phone);
    const changed = await pc.iq(
      xml('iq', { type: 'set', to: d.domain }, xml('query', { xmlns: REGISTER }, xml('username', {}, 'carla'), xml('password', {}, 'carla-new-pw'))),
    );
    assert.equal(changed.attrs.type, 'result');
    assert.equal(await phoneEnds, 'reset');
    assert.ok(await refused(service, 'carla', 'carla-old-pw'));
    const fresh = await login('carla', 'carla-new-pw', 'fresh');

    // §3.2: removal; Dan's subscription from Carla ends, every session of Carla gets <not-authorized/>
    const pcEnds = streamError(pc);
    const freshEnds = streamError(fresh);
    const cancelled = dan.waitFor('unsubscribe from carla', isPresence(`carla@${d.domain}`, 'unsubscribe'));
    const rosterNone = dan.waitFor(
      'roster push: carla none',
      (s) => s.is('iq') && s.attrs.type === 'set' && s.getChild('query', ROSTER)?.getChild('item')?.attrs.subscription === 'none',
    );
    const removed = await pc.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(removed.attrs.type, 'result');
    assert.deepEqual(await Promise.all([pcEnds, freshEnds]), ['not-authorized', 'not-authorized']);
    await cancelled;
    await rosterNone;
    assert.ok(await refused(service, 'carla', 'carla-new-pw'));
    assert.doesNotMatch((await gliderctl(['user', 'list', d.domain], { adminPort: d.adminPort })).stdout, /carla@/);
  });
});
