// Login benchmark (figures, not a test; docs/performance.md "Directory logins"): complete c2s
// logins per second over direct TLS — SASL PLAIN checked by a real slapd through the pooled LDAP
// client (search-then-bind over StartTLS, login and disabled filters) beside local SCRAM-SHA-256
// and local PLAIN. Bounded in count. Run: node dist/apps/edge/src/features/rfc6120-sasl/login.bench.js
import { performance } from 'node:perf_hooks';
import { startTestDirectory, TEST_DIRECTORY_USERS as USERS } from '#libs/directory';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

async function run(h: EdgeHarness, login: (c: RawClient) => Promise<boolean>): Promise<{ perSec: number; p50: number; p99: number }> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < LOGINS) {
        next++;
        const t = performance.now();
        const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
        try {
          await c.open(DOMAIN);
          if (!(await login(c))) throw new Error('login failed');
          times.push(performance.now() - t);
        } finally {
          c.close();
        }
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { perSec: Math.round(times.length / secs), p50: round(times[Math.floor(times.length / 2)]!), p99: round(times[Math.floor(times.length * 0.99)]!) };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

const dir = await startTestDirectory();
try {
  const results: Record<string, unknown>[] = [];
  const ldap = await startEdge({ directory: { domains: { [DOMAIN]: { ldap: dir.ldapConfig({ poolSize: 4 }) } } } });
  try {
    results.push({
      what: 'PLAIN via LDAP (pool 4, StartTLS, search-then-bind, 2 filters)',
      ...(await run(ldap, async (c) => (await c.plain('alice', USERS.alice.password)).name === 'success')),
    });
  } finally {
    await ldap.stop();
  }
  const local = await startEdge();
  try {
    await local.addUser('alice', 'local-pw');
    results.push({
      what: 'SCRAM-SHA-256, local account',
      ...(await run(local, async (c) => (await c.scram('alice', 'local-pw', 'SCRAM-SHA-256')).name === 'success')),
    });
    results.push({
      what: 'PLAIN, local account (PBKDF2 of the stored key)',
      ...(await run(local, async (c) => (await c.plain('alice', 'local-pw')).name === 'success')),
    });
  } finally {
    await local.stop();
  }
  console.log(`${LOGINS} logins each, ${CONCURRENCY} at a time, over direct TLS (each a new TLS connection)`);
  console.table(results);
} finally {
  await dir.stop();
}
