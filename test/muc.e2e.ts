import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { mucEnv, mucScenario } from './scenarios/muc.scenario.js';

describe('XEP-0045 group chat: standalone', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone(mucEnv);
  });
  after(async () => {
    await d?.stop();
  });

  it('xmpp.js and slixmpp xep_0045 create, join, talk, change nick, kick; history, subject, self-ping, room list', async () => {
    await mucScenario(d, 's');
  });
});
