import { adminMicroserviceOptions } from '#libs/admin';
import { keepBusValuesLocal } from '#libs/bus';
import { loadConfigOrExit } from '#libs/config';
import { runApp } from '#libs/runtime';
import { StandaloneModule } from './standalone.module.js';
import { edgeWorkerCount } from './workers/worker-count.js';

const config = loadConfigOrExit('standalone');
const workers = edgeWorkerCount(config.standalone);
// One thread on the in-process bus: frames and Acks never leave the process, so they stay objects
// (libs/bus local-values.ts). Edge worker threads get them as bytes, over their ports.
if (workers === 1 && config.bus.kind === 'inprocess') keepBusValuesLocal();
await runApp(StandaloneModule.forRoot(workers), { role: 'standalone', grpc: adminMicroserviceOptions });
