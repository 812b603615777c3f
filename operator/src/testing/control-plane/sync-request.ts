import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

export interface SyncResponse {
  code: number;
  body: string;
}

/**
 * HTTP(S) requests that block the calling thread until the answer is there: the harness's `get` and
 * `list` read the real API server synchronously, as they read the emulator's store, so the
 * scenarios (`assert.equal(k.get(...).spec.replicas, 3)`) run unchanged against both. A worker thread
 * makes the request; the caller sleeps on a shared word (Atomics.wait) until the worker posts the
 * answer. The API server is another process, so nothing it needs runs on the blocked thread.
 */
export class SyncRequester {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;

  constructor(private readonly opts: { caPem: string; token: string; timeoutMs: number }) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, { eval: true, workerData: { flag: this.flag, port: port2, ca: opts.caPem, token: opts.token }, transferList: [port2] });
    this.worker.unref();
  }

  /** Resolves once the worker runs (it starts asynchronously; a blocked caller must not wait for that). */
  async ready(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.worker.once('online', resolve);
      this.worker.once('error', reject);
    });
  }

  /**
   * Each request carries an id the worker echoes: the answer of a request that timed out arrives
   * later, and must not be read as the answer of the next one (a GET of one Deployment returned
   * another's: kube scenarios failed under load). Stale answers are dropped.
   */
  request(method: string, url: string, body?: string, contentType = 'application/json'): SyncResponse {
    const id = ++this.seq;
    const deadline = Date.now() + this.opts.timeoutMs;
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage({ id, method, url, body, contentType });
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') throw new Error(`${method} ${url}: no answer in ${this.opts.timeoutMs} ms`);
      // reset before reading, so an answer posted after the read wakes the next wait
      Atomics.store(this.flag, 0, 0);
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const msg = m.message as SyncResponse & { id: number; error?: string };
        if (msg.id !== id) continue; // a late answer to a request that timed out
        if (msg.error) throw new Error(`${method} ${url}: ${msg.error}`);
        return { code: msg.code, body: msg.body };
      }
    }
  }

  async close(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const { flag, port, ca, token } = workerData;
const agent = new https.Agent({ keepAlive: true, ca });
const plainAgent = new http.Agent({ keepAlive: true });
const answer = (msg) => { port.postMessage(msg); Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); };
parentPort.on('message', ({ id, method, url, body, contentType }) => {
  const tls = url.startsWith('https:');
  const headers = { 'content-type': contentType, accept: 'application/json', ...(tls ? { authorization: 'Bearer ' + token } : {}) };
  const req = (tls ? https : http).request(url, { method, agent: tls ? agent : plainAgent, headers }, (res) => {
    const chunks = [];
    res.on('data', (d) => chunks.push(d));
    res.on('end', () => answer({ id, code: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    res.on('error', (err) => answer({ id, error: String(err) }));
  });
  req.on('error', (err) => answer({ id, error: String(err) }));
  req.end(body);
});
`;
