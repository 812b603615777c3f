import { createServer } from 'node:net';

/**
 * A 127.0.0.x on which nothing listens on `port` (all of 127/8 is loopback on Linux), tried by
 * binding it: for a Glider that a Prosody peer must find on port 5269 (test/harness/prosody.ts:
 * Prosody has no static s2s route), so another test's 5269 is never in the way. 127.0.0.2 is
 * federation-dialback.e2e's. With `first`, the addresses from 127.0.0.<first> up to .99 in turn
 * (a file's own, e.g. muc-federation*.e2e: 11 and 21, so two files started together do not pick
 * the same one); without, from a random start in .100–.254 (federation-peers.e2e).
 */
export async function ownLoopbackAddress(port: number, first?: number): Promise<string> {
  const [low, high] = first === undefined ? [100, 254] : [first, 99];
  const span = high - low + 1;
  const start = first === undefined ? Math.floor(Math.random() * span) : 0;
  for (let i = 0; i < span; i++) {
    const host = `127.0.0.${low + ((start + i) % span)}`;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, host, () => probe.close(() => resolve(true)));
    });
    if (free) return host;
  }
  throw new Error(`no 127.0.0.x (${low}–${high}) with port ${port} free`);
}
