import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { pushScenario } from './scenarios/push.scenario.js';

/** XEP-0357 on a standalone process with stream management offered and push on (one deployment per file: one trusted certificate). */
describe('push notifications: standalone', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone({ GLIDER_EDGE__SM__ENABLED: 'true', GLIDER_FEATURES__PUSH__ENABLED: 'true' });
  });
  after(async () => {
    await d?.stop();
  });

  it('XEP-0357 with xmpp.js: enable with publish options, a publish for a detached (SM) session and one for an offline account, disable; slixmpp as the App Server', async () => {
    await pushScenario(d, 's');
  });
});
