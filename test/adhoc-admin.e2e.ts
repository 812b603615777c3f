import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { ADMIN_SCENARIO_ENV, adminCommandsScenario } from './scenarios/admin-commands.scenario.js';

describe('XEP-0133 administration with slixmpp: standalone', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone(ADMIN_SCENARIO_ENV);
  });
  after(async () => {
    await d?.stop();
  });
  it('adds a user, changes its password, lists online users, announces, disables a user', async () => {
    await adminCommandsScenario(d, 's');
  });
});
