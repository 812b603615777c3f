import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configSchema } from '#libs/config';
import { EmbeddedStorage } from '#libs/storage';
import { tempDir } from '#libs/testing';
import { parseElement, reparseLimits, xml } from '#libs/xml';
import { localBackend } from './local-backend.js';

const DOMAIN = 'local.test';
const dir = tempDir('glider-local-search-');
const storage = new EmbeddedStorage({ dataDir: dir.path });
const limits = reparseLimits(configSchema.parse({}).edge.limits);
const parse = (x: string) => parseElement(x, limits);
const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AA==', serverKey: 'AA==' };

before(async () => {
  await storage.open();
  for (let i = 0; i < 5; i++) {
    await storage.accounts.create({ username: `u${i}`, domain: DOMAIN, scram: { 'SHA-1': cred, 'SHA-256': cred }, createdAt: new Date(), disabled: false });
    await storage.vcards.set(`u${i}@${DOMAIN}`, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, `User ${i}`)).toString());
  }
});
after(async () => {
  await storage.close();
  dir.remove();
});

test('localVcardScanLimit: a vCard search stops after that many reads and says it was cut', async () => {
  const search = (vcardScanLimit: number) => localBackend(storage, DOMAIN, parse, { pageSize: 2, scanLimit: 100, vcardScanLimit }).search({ fn: 'user 4' }, 10);
  assert.deepEqual(await search(3), { hits: [], truncated: true });
  const all = await search(5);
  assert.deepEqual(
    all.hits.map((h) => h.jid),
    [`u4@${DOMAIN}`],
  );
  assert.equal(all.truncated, false);
});

test('localScanLimit: accounts past it are not looked at, and the result says it was cut', async () => {
  const search = (scanLimit: number) => localBackend(storage, DOMAIN, parse, { pageSize: 1, scanLimit, vcardScanLimit: 100 }).search({ user: 'u' }, 10);
  const cut = await search(2);
  assert.deepEqual(
    cut.hits.map((h) => h.fields),
    [
      { user: 'u0', fn: 'User 0' },
      { user: 'u1', fn: 'User 1' },
    ],
  );
  assert.equal(cut.truncated, true);
  assert.equal((await search(100)).hits.length, 5);
  assert.equal((await search(100)).truncated, false);
});
