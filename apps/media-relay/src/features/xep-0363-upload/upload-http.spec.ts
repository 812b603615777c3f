import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { configSchema } from '#libs/config';
import { parseJid } from '#libs/jid';
import { StanzaError } from '#libs/stanza';
import { EmbeddedStorage } from '#libs/storage';
import { tempDir, waitFor, type TempDir } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import type { MediaIqRequest } from '../../media-relay.context.js';
import { slotRequestHandler } from './slot-request.js';
import { SlotSigner } from './slot-token.js';
import { startUploadHttp, type UploadHttp } from './upload-http.js';
import { startUploadSweeper } from './upload-sweeper.js';
import { UPLOAD_NS, type UploadStats } from './upload.types.js';

const silent = pino({ level: 'silent' });
const settings = configSchema.parse({ media: { upload: { host: '127.0.0.1', port: 0, tls: false, maxFileBytes: 1_000_000, quotaBytesPerUser: 1_500_000 } } })
  .media.upload;

describe('XEP-0363 slots and the HTTP side (real listener, embedded storage)', () => {
  let dir: TempDir;
  let storage: EmbeddedStorage;
  let http: UploadHttp;
  let now = Date.now();
  const stats: UploadStats = { slots: 0, slotsRefused: 0, uploads: 0, uploadedBytes: 0, downloads: 0, refused: 0, expired: 0 };
  const signer = new SlotSigner(randomBytes(32));
  let ask: (attrs: Record<string, string>, from?: string) => Promise<Element | StanzaError>;

  before(async () => {
    dir = tempDir('upload-http-');
    storage = new EmbeddedStorage({ dataDir: dir.path });
    await storage.open();
    http = await startUploadHttp({ settings, uploads: storage.uploads, signer, logger: silent, stats, now: () => now }, undefined);
    const handler = slotRequestHandler({
      settings,
      uploads: storage.uploads,
      signer,
      stats,
      localDomains: ['example.com'],
      baseUrl: () => `http://127.0.0.1:${http.port}`,
      now: () => now,
    });
    ask = async (attrs, from = 'ann@example.com/phone') => {
      const payload = xml('request', { xmlns: UPLOAD_NS, ...attrs });
      const req = {
        iq: xml('iq'),
        payload,
        from: parseJid(from),
        to: parseJid('upload.example.com'),
        domain: 'example.com',
        env: {},
      } as unknown as MediaIqRequest;
      return (await handler(req)) as Element | StanzaError;
    };
  });
  after(async () => {
    await http?.close();
    await storage?.close();
    dir?.remove();
  });

  const slotOf = async (attrs: Record<string, string>) => {
    const s = await ask(attrs);
    assert.ok(!(s instanceof StanzaError), `slot refused: ${String(s)}`);
    return { put: s.getChild('put')!.attrs.url!, get: s.getChild('get')!.attrs.url! };
  };

  /** A raw HTTP request, so Content-Length can be set to what a test needs. */
  const call = (method: string, url: string, headers: Record<string, string> = {}, body?: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const r = request(url, { method, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      });
      r.on('error', reject);
      r.end(body);
    });

  it('hands out a slot, stores the PUT once (201), serves GET with type, disposition, nosniff, and ranges', async () => {
    const data = randomBytes(200_000);
    const slot = await slotOf({ filename: 'Bericht März.pdf', size: String(data.length), 'content-type': 'application/pdf' });
    assert.ok(slot.put.startsWith(slot.get + '?'));
    assert.equal((await call('PUT', slot.put, { 'Content-Type': 'application/pdf', 'Content-Length': String(data.length) }, data)).status, 201);
    const got = await call('GET', slot.get);
    assert.equal(got.status, 200);
    assert.equal(createHash('sha256').update(got.body).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.equal(got.headers['content-type'], 'application/pdf');
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.match(String(got.headers['content-disposition']), /^attachment; filename="Bericht M_rz.pdf"; filename\*=UTF-8''Bericht%20M%C3%A4rz.pdf$/);
    const part = await call('GET', slot.get, { Range: 'bytes=1000-1999' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-1999/${data.length}`);
    assert.deepEqual(part.body, data.subarray(1000, 2000));
    const tail = await call('GET', slot.get, { Range: 'bytes=-10' });
    assert.deepEqual(tail.body, data.subarray(data.length - 10));
    assert.equal((await call('GET', slot.get, { Range: `bytes=${data.length}-` })).status, 416);
    const head = await call('HEAD', slot.get);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.body.length, 0);
    // Reused slot: the file is there already.
    assert.equal((await call('PUT', slot.put, { 'Content-Type': 'application/pdf', 'Content-Length': String(data.length) }, data)).status, 409);
    // Another name under the same id is not the file.
    assert.equal((await call('GET', slot.get.replace(/[^/]+$/, 'other.pdf'))).status, 404);
  });

  it('refuses a forged, altered, unsigned or expired slot', async () => {
    const slot = await slotOf({ filename: 'a.txt', size: '5', 'content-type': 'text/plain' });
    const h = { 'Content-Type': 'text/plain', 'Content-Length': '5' };
    const body = Buffer.from('hello');
    const forged = slot.put.replace(/sig=[^&]+/, `sig=${randomBytes(32).toString('base64url')}`);
    assert.equal((await call('PUT', forged, h, body)).status, 403);
    const bigger = slot.put.replace('size=5', 'size=6');
    assert.equal((await call('PUT', bigger, { ...h, 'Content-Length': '6' }, Buffer.from('hello!'))).status, 403);
    const otherName = slot.put.replace('/a.txt?', '/b.txt?');
    assert.equal((await call('PUT', otherName, h, body)).status, 403);
    assert.equal((await call('PUT', slot.get, h, body)).status, 403);
    now += settings.slotTtlMs + 1;
    try {
      const expired = await call('PUT', slot.put, h, body);
      assert.equal(expired.status, 410);
      assert.match(expired.body.toString(), /expired/);
    } finally {
      now -= settings.slotTtlMs + 1;
    }
    assert.equal((await call('GET', slot.get)).status, 404, 'nothing was stored');
  });

  it('refuses a PUT larger or smaller than announced, without length, or with another content type', async () => {
    const slot = await slotOf({ filename: 'b.png', size: '10', 'content-type': 'image/png' });
    const png = { 'Content-Type': 'image/png' };
    assert.equal((await call('PUT', slot.put, { ...png, 'Content-Length': '11' }, Buffer.alloc(11))).status, 413);
    assert.equal((await call('PUT', slot.put, { ...png, 'Content-Length': '9' }, Buffer.alloc(9))).status, 400);
    assert.equal((await call('PUT', slot.put, { ...png, 'Transfer-Encoding': 'chunked' }, Buffer.alloc(10))).status, 411);
    assert.equal((await call('PUT', slot.put, { 'Content-Type': 'text/html', 'Content-Length': '10' }, Buffer.alloc(10))).status, 415);
    // None of these used the slot up.
    assert.equal((await call('PUT', slot.put, { ...png, 'Content-Length': '10' }, Buffer.alloc(10))).status, 201);
    const got = await call('GET', slot.get);
    assert.match(String(got.headers['content-disposition']), /^inline;/);
  });

  it('answers file-too-large with the maximum, resource-constraint past the quota, bad-request for nonsense', async () => {
    const big = await ask({ filename: 'big.iso', size: String(settings.maxFileBytes + 1) });
    assert.ok(big instanceof StanzaError);
    assert.equal(big.condition, 'not-acceptable');
    assert.equal(big.appCondition?.getChild('max-file-size')?.text(), String(settings.maxFileBytes));
    // Ann has stored 200,015 bytes above; two more 700 kB files pass the quota of 1.5 MB.
    const first = await slotOf({ filename: 'one.bin', size: '700000' });
    assert.equal((await call('PUT', first.put, { 'Content-Length': '700000' }, Buffer.alloc(700_000))).status, 201);
    const quota = await ask({ filename: 'two.bin', size: '700000' });
    assert.ok(quota instanceof StanzaError);
    assert.equal(quota.condition, 'resource-constraint');
    assert.equal(quota.type, 'wait');
    const nonsense: Record<string, string>[] = [
      { size: '5' },
      { filename: 'x', size: '-1' },
      { filename: 'x', size: '0' },
      { filename: 'x', size: '5', 'content-type': 'not a type' },
    ];
    for (const attrs of nonsense) {
      const r = await ask(attrs);
      assert.ok(r instanceof StanzaError && r.condition === 'bad-request', JSON.stringify(attrs));
    }
    const remote = await ask({ filename: 'x', size: '5' }, 'eve@elsewhere.net/x');
    assert.ok(remote instanceof StanzaError && remote.condition === 'not-allowed');
  });

  it('deletes a file once media.upload.fileTtlMs has passed (the sweeper), and its URL answers 404', async () => {
    // Uploaded "fileTtlMs + 1 s ago": its expiry is already past when the sweeper runs.
    const slot = await slotOf({ filename: 'old.txt', size: '3' });
    const saved = now;
    now = Date.now() - settings.fileTtlMs - 1000;
    try {
      assert.equal((await call('PUT', slot.put, { 'Content-Length': '3' }, Buffer.from('old'))).status, 201);
    } finally {
      now = saved;
    }
    assert.equal((await call('GET', slot.get)).status, 200);
    const stop = startUploadSweeper(storage.uploads, settings.sweepIntervalMs, stats, silent);
    try {
      await waitFor(async () => stats.expired >= 1 && (await storage.uploads.get(new URL(slot.get).pathname.split('/')[2]!)) === undefined, {
        what: 'the expired file swept',
      });
    } finally {
      stop();
    }
    assert.equal((await call('GET', slot.get)).status, 404);
  });

  it('answers CORS preflights for web clients', async () => {
    const pre = await call('OPTIONS', `http://127.0.0.1:${http.port}/upload/x/y`, {
      Origin: 'https://web.example.com',
      'Access-Control-Request-Method': 'PUT',
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-methods']), /PUT/);
  });
});
