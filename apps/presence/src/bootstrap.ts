import { runApp } from '#libs/runtime';
import { PresenceAppModule } from './presence-app.module.js';

await runApp(PresenceAppModule, { role: 'presence' });
