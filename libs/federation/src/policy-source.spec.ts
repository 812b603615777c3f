import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { s2sSchema } from '#libs/config';
import type { DomainPolicy } from './domain-policy.js';
import { PolicySource } from './policy-source.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('without a policy file, the config policy (allowlist by default, nobody allowed)', async () => {
  const source = new PolicySource(s2sSchema.parse({}));
  await source.start();
  assert.deepEqual(source.current().decide('partner.example'), { allowed: false, why: 'not-on-allowlist' });
  const configured = new PolicySource(s2sSchema.parse({ policy: { allow: ['partner.example'] } }));
  assert.equal(configured.current().allows('partner.example'), true);
});

test('a changed policy file applies without a restart; a broken one keeps the last good policy', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'glider-policy-'));
  dirs.push(dir);
  const file = join(dir, 'policy.json');
  await writeFile(file, JSON.stringify({ mode: 'allowlist', allow: ['a.example'] }));
  const errors: Error[] = [];
  const source = new PolicySource(s2sSchema.parse({ policyFile: file, policyPollMs: 100 }), { onError: (e) => errors.push(e) });
  await source.start();
  t.after(() => source.stop());
  assert.equal(source.current().allows('a.example'), true);
  assert.equal(source.current().allows('b.example'), false);

  const next = new Promise<DomainPolicy>((resolve) => source.onChange(resolve));
  // written beside and renamed over, as a ConfigMap update does: a reader never sees half a file
  await writeFile(join(dir, 'tmp.json'), JSON.stringify({ mode: 'open', deny: ['a.example'] }));
  await rename(join(dir, 'tmp.json'), file);
  const changed = await next;
  assert.equal(changed.allows('b.example'), true);
  assert.deepEqual(changed.decide('a.example'), { allowed: false, why: 'denied' });
  assert.equal(source.current(), changed);

  // (written in place: the watcher may also see the truncated file, which is not JSON either)
  await writeFile(file, '{ "mode": "opn" ');
  await source.check();
  assert.match(errors.at(-1)!.message, /not JSON/);
  await writeFile(file, JSON.stringify({ mode: 'sometimes' }));
  await source.check();
  assert.match(errors.at(-1)!.message, /mode: /);
  assert.equal(source.current(), changed, 'the last good policy stays');
});

test('a bad policy file at boot fails fast with its name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'glider-policy-'));
  dirs.push(dir);
  const file = join(dir, 'policy.json');
  await writeFile(file, JSON.stringify({ mode: 'allowlist', allow: 'a.example' }));
  await assert.rejects(new PolicySource(s2sSchema.parse({ policyFile: file })).start(), /policy.json: allow: /);
  await assert.rejects(new PolicySource(s2sSchema.parse({ policyFile: join(dir, 'missing.json') })).start(), /ENOENT/);
});
