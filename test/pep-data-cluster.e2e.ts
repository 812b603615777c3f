import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { avatarConversionScenario, vcardAvatarScenario } from './scenarios/avatars.scenario.js';
import { pepDataScenario } from './scenarios/pep-data.scenario.js';

// One deployment per process (see mam-mongodb.e2e.ts). Here the conversions cross processes: the
// router's vCard and private-XML handlers publish to PEP that the presence process serves.
describe('What lives on PEP: local cluster (2 edges, 2 routers, presence on NATS)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster();
  });
  after(async () => {
    await c?.stop();
  });

  it('XEP-0153/XEP-0398 §4: the vCard photo hash in presence (xmpp.js, slixmpp)', async () => {
    await vcardAvatarScenario(c, 'c');
  });

  it('XEP-0398 both ways across processes (slixmpp xep_0084, xmpp.js vCard)', async () => {
    await avatarConversionScenario(c, 'c');
  });

  it('XEP-0402 #compat, XEP-0490 MDS with server assist, vCard4 and OMEMO on open nodes', async () => {
    await pepDataScenario(c, 'c');
  });
});
