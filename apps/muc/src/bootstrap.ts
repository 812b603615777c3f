import { runApp } from '#libs/runtime';
import { MucAppModule } from './muc-app.module.js';

await runApp(MucAppModule, { role: 'muc' });
