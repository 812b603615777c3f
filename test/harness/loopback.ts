import { createServer } from 'node:net';

/**
 * A 127.0.0.x (x from 3; 127.0.0.2 is federation-dialback.e2e's) on which nothing listens on
 * `port`: all of 127/8 is loopback on Linux. Tried by binding it, from a random start. For a
 * Glider that a Prosody peer must find on port 5269 (test/harness/prosody.ts: Prosody has no static
 * s2s route), so another test's 5269 is never in the way.
 */
export async function ownLoopbackAddress(port: number): Promise<string> {
  const start = 3 + Math.floor(Math.random() * 250);
  for (let i = 0; i < 252; i++) {
    const host = `127.0.0.${3 + ((start - 3 + i) % 252)}`;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, host, () => probe.close(() => resolve(true)));
    });
    if (free) return host;
  }
  throw new Error(`no 127.0.0.x with port ${port} free`);
}
