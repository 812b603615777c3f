import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthServer } from './health-server.js';

describe('operator health endpoints', () => {
  it('answers live always, ready only once the caches synced', async () => {
    let ready = false;
    const h = new HealthServer({ ready: () => ready, leader: () => false, metrics: (_req, res) => void res.writeHead(200).end('glider_operator_leader 0\n') });
    const port = await h.listen(0, '127.0.0.1');
    try {
      const get = async (p: string) => (await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(3000) })).status;
      assert.equal(await get('/healthz/live'), 200);
      assert.equal(await get('/healthz/ready'), 503);
      ready = true;
      assert.equal(await get('/healthz/ready'), 200);
      assert.equal(await get('/healthz/leader'), 503);
      assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) })).text(), /glider_operator_leader 0/);
    } finally {
      await h.close();
    }
  });
});
