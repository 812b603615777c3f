import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { avatarConversionScenario, vcardAvatarScenario } from './scenarios/avatars.scenario.js';
import { pepDataScenario } from './scenarios/pep-data.scenario.js';

describe('What lives on PEP: standalone (embedded storage)', () => {
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

  it('XEP-0398 both ways: slixmpp xep_0084 publish → vCard PHOTO and presence hash; xmpp.js vCard set → XEP-0084 nodes', async () => {
    await avatarConversionScenario(d, 's');
  });

  it('XEP-0402 #compat with slixmpp xep_0048 and xmpp.js; XEP-0490 MDS with server assist; XEP-0292 vCard4 and XEP-0384 OMEMO on open nodes', async () => {
    await pepDataScenario(d, 's');
  });
});
