import { sasl2Scenario } from './scenarios/sasl2.scenario.js';

// The FAST token flow with every process on MongoDB storage (FerretDB started here, or $MONGODB_URL).
sasl2Scenario('mongodb');
