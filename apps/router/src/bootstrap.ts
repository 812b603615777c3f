import { runApp } from '#libs/runtime';
import { RouterAppModule } from './router-app.module.js';

// TODO(lead): in cluster mode the router also serves the admin gRPC API: once #libs/admin exists,
// import AdminModule into RouterAppModule and pass `grpc: adminMicroserviceOptions` here.
await runApp(RouterAppModule, { role: 'router' });
