import { adminMicroserviceOptions } from '#libs/admin';
import { runApp } from '#libs/runtime';
import { RouterAppModule } from './router-app.module.js';

await runApp(RouterAppModule, { role: 'router', grpc: adminMicroserviceOptions });
