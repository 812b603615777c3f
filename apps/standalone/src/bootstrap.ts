import { adminMicroserviceOptions } from '#libs/admin';
import { runApp } from '#libs/runtime';
import { StandaloneModule } from './standalone.module.js';

await runApp(StandaloneModule, { role: 'standalone', grpc: adminMicroserviceOptions });
