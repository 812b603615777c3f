import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { E2E_ADMIN, adminCommandsScenario } from './scenarios/admin-commands.scenario.js';

describe('XEP-0133 administration with slixmpp: standalone', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone({ GLIDER_ADMIN__JIDS: E2E_ADMIN });
  });
  after(async () => {
    await d?.stop();
  });
  it('adds a user, changes its password, lists online users, announces, disables a user', async () => {
    await adminCommandsScenario(d, 's');
  });
});
