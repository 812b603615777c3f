import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { StorageConflictError } from '../ports/errors.js';
import { UploadSizeError, type UploadRecord } from '../ports/uploads.repository.js';
import { unique, type MakeStorage } from './contract.types.js';
import { withStorage } from './with-storage.js';

async function* chunks(...parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

async function bytesOf(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

const record = (owner: string, size: number, over: Partial<UploadRecord> = {}): UploadRecord => ({
  id: randomBytes(18).toString('base64url'),
  owner,
  filename: 'photo Ä.jpg',
  contentType: 'image/jpeg',
  size,
  createdAt: new Date(),
  ...over,
});

export function uploadsContract(makeStorage: MakeStorage): void {
  describe('uploads (XEP-0363 files)', () => {
    const storage = withStorage(makeStorage);

    it('stores a file once, reads it whole and by range, counts it in the usage, deletes it', async () => {
      const u = storage().uploads;
      const owner = `${unique('up')}@localhost`;
      const data = randomBytes(600_000); // several GridFS chunks
      const r = record(owner, data.length);
      await u.put(r, chunks(data.subarray(0, 1000), data.subarray(1000)));
      assert.equal((await u.get(r.id))?.size, data.length);
      assert.equal((await u.get(r.id))?.filename, 'photo Ä.jpg');
      assert.deepEqual(await bytesOf(await u.read(r.id, 0, data.length - 1)), data);
      assert.deepEqual(await bytesOf(await u.read(r.id, 300_000, 300_009)), data.subarray(300_000, 300_010));
      assert.equal(await u.usage(owner), data.length);
      await assert.rejects(u.put(r, chunks(data)), StorageConflictError);
      assert.equal(await u.delete(r.id), true);
      assert.equal(await u.get(r.id), undefined);
      assert.equal(await u.usage(owner), 0);
    });

    it('keeps nothing of a body longer or shorter than announced, and the slot stays used', async () => {
      const u = storage().uploads;
      const owner = `${unique('up')}@localhost`;
      const long = record(owner, 10);
      await assert.rejects(u.put(long, chunks(Buffer.alloc(6), Buffer.alloc(6))), UploadSizeError);
      assert.equal(await u.get(long.id), undefined);
      const short = record(owner, 10);
      await assert.rejects(u.put(short, chunks(Buffer.alloc(4))), UploadSizeError);
      assert.equal(await u.get(short.id), undefined);
      assert.equal(await u.usage(owner), 0);
      await assert.rejects(u.put(short, chunks(Buffer.alloc(10))), StorageConflictError);
    });

    it('sweeps expired files and deletes all of an owner', async () => {
      const u = storage().uploads;
      const owner = `${unique('up')}@localhost`;
      const old = record(owner, 3, { expiresAt: new Date(Date.now() - 1000) });
      const fresh = record(owner, 3, { expiresAt: new Date(Date.now() + 3_600_000) });
      const kept = record(owner, 3);
      for (const r of [old, fresh, kept]) await u.put(r, chunks(Buffer.from('abc')));
      assert.ok((await u.deleteExpired(new Date())) >= 1);
      assert.equal(await u.get(old.id), undefined);
      assert.ok(await u.get(fresh.id));
      assert.equal(await u.deleteAll(owner), 2);
      assert.equal(await u.usage(owner), 0);
    });
  });
}
