import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { mucEnv } from './scenarios/muc.scenario.js';
import { mucFeaturesScenario } from './scenarios/muc-features.scenario.js';

describe('XEP-0045 registration and voice requests, XEP-0424/0425 in rooms: standalone', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone(mucEnv);
  });
  after(async () => {
    await d?.stop();
  });

  it('xmpp.js: register a nick, request and grant voice, retract, moderate; tombstones in the room archive', async () => {
    await mucFeaturesScenario(d, 's');
  });
});
