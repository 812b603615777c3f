import { createServer } from 'node:net';

/** Ports this process has handed out: the OS may give a just-closed port again on the next call. */
const handedOut = new Set<number>();
const MAX_TRIES = 50;

/**
 * A TCP port free on 127.0.0.1 right now (the OS picks it; another process could still take it),
 * never one this process handed out before: two calls in a row could otherwise return the same
 * port (seen: a standalone whose http.port and edge.c2sPort were both given the same port).
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < MAX_TRIES; i++) {
    const port = await osPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: the OS gave only ports already handed out, ${MAX_TRIES} times`);
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
