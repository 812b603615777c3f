import { sharedRosterScenario } from './directory-shared-roster.scenario.js';
import { startCluster } from './harness/cluster.js';

// Directory shared rosters on a cluster, in its own process (scenario: directory-shared-roster.scenario.ts).
sharedRosterScenario('a cluster (2 edges, 2 routers)', (env) => startCluster({ edges: 2, routers: 2, env }));
