import { runApp } from '#libs/runtime';
import { MediaRelayAppModule } from './media-relay-app.module.js';

await runApp(MediaRelayAppModule, { role: 'media-relay' });
