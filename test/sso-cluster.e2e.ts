import { startCluster } from './harness/cluster.js';
import { ssoScenario } from './scenarios/sso.scenario.js';

// Single sign-on (OAUTHBEARER, then FAST) with xmpp.js on a cluster: two edges, each its own
// verifier and JWKS cache; the FAST login on the other edge (scenarios/sso.scenario.ts).
ssoScenario('a cluster (2 edges, 2 routers)', (env) => startCluster({ edges: 2, routers: 2, env }));
