import { sharedRosterScenario } from './directory-shared-roster.scenario.js';
import { startStandalone } from './harness/standalone.js';

// Directory shared rosters on standalone (scenario: directory-shared-roster.scenario.ts).
sharedRosterScenario('standalone', (env) => startStandalone(env));
