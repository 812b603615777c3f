import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SyncRequester } from './sync-request.js';

/** An HTTP server on its own thread (the caller's thread blocks in SyncRequester): /slow answers when told. */
const SERVER = `
const { parentPort } = require('node:worker_threads');
const { createServer } = require('node:http');
const slow = [];
const server = createServer((req, res) => (req.url === '/slow' ? slow.push(res) : res.end(req.url)));
parentPort.on('message', () => { for (const res of slow.splice(0)) res.end('slow'); parentPort.postMessage('released'); });
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

/**
 * The answer of a request that timed out arrives later; the next request must get its own answer,
 * not that one (kube scenarios read one Deployment as another under load).
 */
describe('SyncRequester', () => {
  let server: Worker;
  let url: string;
  before(async () => {
    server = new Worker(SERVER, { eval: true });
    url = `http://127.0.0.1:${await new Promise<number>((resolve) => server.once('message', resolve))}`;
  });
  after(async () => {
    await server.terminate();
  });

  it('a late answer to a request that timed out is not read as the next one’s', async () => {
    const sync = new SyncRequester({ caPem: '', token: '', timeoutMs: 500 });
    await sync.ready();
    try {
      assert.throws(() => sync.request('GET', `${url}/slow`), /no answer in 500 ms/);
      const released = new Promise((resolve) => server.once('message', resolve));
      server.postMessage('release');
      await released;
      assert.equal(sync.request('GET', `${url}/fast`).body, '/fast');
      assert.equal(sync.request('GET', `${url}/next`).body, '/next');
    } finally {
      await sync.close();
    }
  });
});
