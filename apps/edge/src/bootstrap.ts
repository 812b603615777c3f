import { runApp } from '#libs/runtime';
import { EdgeAppModule } from './edge-app.module.js';
import { exitProcessAfterDrain } from './edge.service.js';

exitProcessAfterDrain();
await runApp(EdgeAppModule, { role: 'edge' });
