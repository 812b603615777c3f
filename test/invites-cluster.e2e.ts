import { startCluster } from './harness/cluster.js';
import { invitesScenario } from './scenarios/invites.scenario.js';

// Invitations with xmpp.js on a cluster: two edges, two routers (scenarios/invites.scenario.ts).
invitesScenario('a cluster (2 edges, 2 routers)', (env) => startCluster({ edges: 2, routers: 2, env }));
