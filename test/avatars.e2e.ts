import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { vcardAvatarScenario } from './scenarios/avatars.scenario.js';

describe('Avatars: standalone (embedded storage)', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone();
  });
  after(async () => {
    await d?.stop();
  });

  it('XEP-0153/XEP-0398 §4: the vCard photo hash in presence (xmpp.js, slixmpp xep_0153 and xep_0054)', async () => {
    await vcardAvatarScenario(d, 's');
  });
});
