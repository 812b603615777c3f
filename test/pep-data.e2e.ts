import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { pepDataScenario } from './scenarios/pep-data.scenario.js';

describe('What lives on PEP: standalone (embedded storage)', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone();
  });
  after(async () => {
    await d?.stop();
  });

  it('XEP-0402 #compat with slixmpp xep_0048 and xmpp.js; XEP-0490 MDS; XEP-0292 vCard4 and XEP-0384 OMEMO on open nodes', async () => {
    await pepDataScenario(d, 's');
  });
});
