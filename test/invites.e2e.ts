import { startStandalone } from './harness/standalone.js';
import { invitesScenario } from './scenarios/invites.scenario.js';

// Invitations with xmpp.js on standalone (scenarios/invites.scenario.ts).
invitesScenario('standalone', (env) => startStandalone(env));
