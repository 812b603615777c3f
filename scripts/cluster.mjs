// The local cluster in one command: a real nats-server (JetStream), two routers, a presence
// service and two edges, each its own process on loopback. Ctrl-C stops them in order: the edges
// drain, then the routers and presence stop, then nats-server (and it says how long that took).
//   npm run cluster            edge 1 on 5222/5223/5443, edge 2 on 15222/15223/15443, admin gRPC on
//                              5582, health/metrics on 9091-9095; data in data/cluster (kept)
//   npm run cluster -- --help  every option (--data-dir, --base-port, --nats-url, --drain-timeout-ms)
// Build first (npm run cluster does). Set GLIDER_STORAGE__KIND=mongodb and
// GLIDER_STORAGE__MONGODB__URL=... to run it on MongoDB instead of the shared embedded store.
// CLUSTER_NODE_ARGS_EDGE='--cpu-prof --cpu-prof-dir=/tmp/prof' (or _ROUTER, _PRESENCE; CLUSTER_NODE_ARGS
// for all) adds node options to those processes only, e.g. to profile one bench run.
import { ensureNode24 } from './node24.mjs';

await ensureNode24();
const { cluster } = await import('../dist/test/harness/cluster-cli.js');

await cluster(process.argv.slice(2));
