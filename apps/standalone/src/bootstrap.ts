import { adminMicroserviceOptions } from '#libs/admin';
import { loadConfigOrExit } from '#libs/config';
import { runApp } from '#libs/runtime';
import { StandaloneModule } from './standalone.module.js';
import { edgeWorkerCount } from './workers/worker-count.js';

const workers = edgeWorkerCount(loadConfigOrExit('standalone').standalone);
await runApp(StandaloneModule.forRoot(workers), { role: 'standalone', grpc: adminMicroserviceOptions });
