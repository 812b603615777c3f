import { sasl2Scenario } from './scenarios/sasl2.scenario.js';

// XEP-0388 SASL2, XEP-0386 Bind2 and XEP-0484 FAST with xmpp.js on a cluster (scenarios/sasl2.scenario.ts).
sasl2Scenario('embedded');
