import { startStandalone } from './harness/standalone.js';
import { ssoScenario } from './scenarios/sso.scenario.js';

// Single sign-on (OAUTHBEARER, then FAST) with xmpp.js on standalone (scenarios/sso.scenario.ts).
ssoScenario('standalone', (env) => startStandalone(env));
