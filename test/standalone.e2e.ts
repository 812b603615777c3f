import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gliderctl } from './harness/gliderctl.js';
import { repoRoot } from './harness/paths.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { chatScenario } from './scenarios/chat.scenario.js';
import { externalClientsScenario } from './scenarios/external-clients.scenario.js';
import { carbonsScenario } from './scenarios/carbons.scenario.js';
import { csiScenario } from './scenarios/csi.scenario.js';
import { blockingScenario } from './scenarios/blocking.scenario.js';
import { pepScenario } from './scenarios/pep.scenario.js';

describe('standalone: one process, embedded bus and storage', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone();
  });
  after(async () => {
    await d?.stop();
  });

  it('xmpp.js users chat over STARTTLS, direct TLS and WebSocket, with roster, presence and offline messages', async () => {
    await chatScenario(d, 's');
  });

  it('slixmpp and go-sendxmpp log in and chat with an xmpp.js user', async () => {
    await externalClientsScenario(d, 's');
  });

  it('XEP-0280 carbons: received, sent, private and disable with xmpp.js; a received carbon with slixmpp (and its XEP-0199 ping answered)', async () => {
    await carbonsScenario(d, 's');
  });

  it('XEP-0352 CSI: an inactive xmpp.js client gets presence and chat states held until a message with a body, then <active/>', async () => {
    await csiScenario(d, 's');
  });

  it('XEP-0191 blocking: block, push to a second resource, bounces both ways, presence, bad input, unblock, unblock-all (xmpp.js); block/list/unblock (slixmpp)', async () => {
    await blockingScenario(d, 's');
  });

  it('XEP-0163 PEP: xmpp.js publishes, slixmpp gets the last item through verified caps and publishes back (XEP-0115 +notify)', async () => {
    await pepScenario(d, 's');
  });

  it('gliderctl manages accounts and names what is wrong', async () => {
    const port = d.adminPort;
    assert.equal((await gliderctl(['user', 'add', 'frank@localhost'], { adminPort: port, stdin: 'frank-password\n' })).code, 0);
    const dup = await gliderctl(['user', 'add', 'frank@localhost'], { adminPort: port, stdin: 'frank-password\n' });
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /already exists/);
    const list = await gliderctl(['user', 'list', 'localhost'], { adminPort: port });
    assert.match(list.stdout, /frank@localhost/);
    const bad = await gliderctl(['user', 'add', 'not a jid@@localhost'], { adminPort: port, stdin: 'x-password\n' });
    assert.notEqual(bad.code, 0);
    assert.equal((await gliderctl(['user', 'del', 'frank@localhost'], { adminPort: port })).code, 0);
    assert.doesNotMatch((await gliderctl(['user', 'list', 'localhost'], { adminPort: port })).stdout, /frank@localhost/);
  });
});

describe('standalone: bad configuration', () => {
  it('exits at boot with a message naming the key', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'dist/apps/standalone/src/main.js')], {
      env: { PATH: process.env.PATH, GLIDER_EDGE__C2S_PORT: 'seventy', GLIDER_DATA_DIR: '/tmp/glider-never-used' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 78);
    assert.match(r.stderr, /edge\.c2sPort/);
    assert.match(r.stderr, /GLIDER_EDGE__C2S_PORT/);
  });
});
