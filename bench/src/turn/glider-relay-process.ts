// Glider's TURN relay alone in its own process, so the benchmark reads its CPU time from /proc
// exactly as it reads coturn's. Usage: node glider-relay-process.js '<media.turn JSON>' <secret>
// Prints one JSON line {"udp":port,...} once listening; exits on SIGTERM.
// The benchmark is a tool, not an app: it starts the feature's own entry point, as tests do.
import { turnSchema } from '#libs/config';
import { startTurnServer } from '../../../apps/media-relay/src/features/rfc8656-turn/turn-server.js';

const [json, secret] = process.argv.slice(2);
if (!json || !secret) {
  console.error('usage: glider-relay-process <media.turn JSON> <shared secret>');
  process.exit(2);
}
const config = turnSchema.parse(JSON.parse(json));
const server = await startTurnServer(config, { secret: () => secret, realm: config.realm ?? 'localhost' });
process.stdout.write(JSON.stringify(server.ports) + '\n');
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
