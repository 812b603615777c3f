import { after, before, describe, it } from 'node:test';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { mamSmTimeoutScenario, smTimeoutEnv } from './scenarios/mam-sm-timeout.scenario.js';
import { mamEnv, mamScenario } from './scenarios/mam.scenario.js';

describe('XEP-0313 message archive: standalone (embedded storage)', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone({ ...mamEnv, ...smTimeoutEnv });
  });
  after(async () => {
    await d?.stop();
  });

  it('xmpp.js pages newest first and filters by with; slixmpp xep_0313 walks the archive', async () => {
    await mamScenario(d, 's');
  });

  it('messages held by a stream-management session that never resumes are stored offline and archived once', async () => {
    await mamSmTimeoutScenario(d, 's');
  });
});
