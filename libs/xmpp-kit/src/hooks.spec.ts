import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hooks } from './hooks.js';

interface Vocabulary {
  step: { seen: string[] };
}
const quiet = { error: () => {} };

test('handlers run by priority, higher first; stop ends the chain, from a plain or an async handler', async () => {
  for (const stopAsync of [false, true]) {
    const hooks = new Hooks<Vocabulary>(quiet);
    hooks.on('step', ({ seen }) => void seen.push('low'), { priority: -1 });
    hooks.on('step', ({ seen }) => void seen.push('high'), { priority: 10 });
    hooks.on('step', ({ seen }) => {
      seen.push('stopper');
      return stopAsync ? Promise.resolve('stop') : 'stop';
    });
    const arg = { seen: [] as string[] };
    assert.equal(await hooks.run('step', arg), 'stop');
    assert.deepEqual(arg.seen, ['high', 'stopper']);
  }
});

test('a handler that throws or rejects is logged and skipped; the chain goes on', async () => {
  const logged: string[] = [];
  const hooks = new Hooks<Vocabulary>({ error: (o) => void logged.push((o as { feature: string }).feature) });
  hooks.on(
    'step',
    () => {
      throw new Error('sync');
    },
    { priority: 3, owner: 'a' },
  );
  hooks.on('step', () => Promise.reject(new Error('async')), { priority: 2, owner: 'b' });
  hooks.on('step', ({ seen }) => void seen.push('last'), { priority: 1, owner: 'c' });
  const arg = { seen: [] as string[] };
  assert.equal(await hooks.run('step', arg), 'continue');
  assert.deepEqual(arg.seen, ['last']);
  assert.deepEqual(logged, ['a', 'b']);
});

test('an async handler is awaited before the next starts; plain handlers follow each other without a microtask turn between them', async () => {
  const hooks = new Hooks<Vocabulary>(quiet);
  hooks.on(
    'step',
    async ({ seen }) => {
      seen.push('async start');
      await new Promise((r) => setImmediate(r));
      seen.push('async end');
    },
    { priority: 3 },
  );
  hooks.on(
    'step',
    ({ seen }) => {
      seen.push('plain 1');
      queueMicrotask(() => seen.push('microtask'));
    },
    { priority: 2 },
  );
  hooks.on('step', ({ seen }) => void seen.push('plain 2'), { priority: 1 });
  const arg = { seen: [] as string[] };
  await hooks.run('step', arg);
  assert.deepEqual(arg.seen, ['async start', 'async end', 'plain 1', 'plain 2', 'microtask']);
});

test('a handler registered or removed while the chain runs does not change that run', async () => {
  const hooks = new Hooks<Vocabulary>(quiet);
  hooks.on(
    'step',
    ({ seen }) => {
      seen.push('first');
      off();
      hooks.on('step', ({ seen: s }) => void s.push('added'), { priority: -5 });
    },
    { priority: 2 },
  );
  const off = hooks.on('step', ({ seen }) => void seen.push('removed later'), { priority: 1 });
  const arg = { seen: [] as string[] };
  await hooks.run('step', arg);
  assert.deepEqual(arg.seen, ['first', 'removed later']);
  const again = { seen: [] as string[] };
  await hooks.run('step', again);
  assert.deepEqual(again.seen, ['first', 'added']);
});

test('runNow answers at once when every handler did, and with a promise once one returns one', async () => {
  const logged: string[] = [];
  const hooks = new Hooks<Vocabulary>({ error: (o) => void logged.push((o as { feature: string }).feature) });
  assert.equal(hooks.runNow('step', { seen: [] }), 'continue', 'no chain');
  hooks.on('step', ({ seen }) => void seen.push('plain'), { priority: 3 });
  hooks.on(
    'step',
    () => {
      throw new Error('sync');
    },
    { priority: 2, owner: 'thrower' },
  );
  const arg = { seen: [] as string[] };
  assert.equal(hooks.runNow('step', arg), 'continue', 'a plain chain: the answer, not a promise');
  assert.deepEqual(arg.seen, ['plain']);
  assert.deepEqual(logged, ['thrower']);
  hooks.on('step', ({ seen }) => (seen.push('stopper'), 'stop'), { priority: 1 });
  assert.equal(hooks.runNow('step', { seen: [] }), 'stop');

  const later = new Hooks<Vocabulary>(quiet);
  later.on('step', async ({ seen }) => void seen.push('async'), { priority: 2 });
  later.on('step', ({ seen }) => (seen.push('after'), 'stop'), { priority: 1 });
  const a = { seen: [] as string[] };
  const r = later.runNow('step', a);
  assert.ok(r instanceof Promise, 'an async handler makes it a promise');
  assert.deepEqual(a.seen, ['async'], 'the next handler waits for it');
  assert.equal(await r, 'stop');
  assert.deepEqual(a.seen, ['async', 'after']);
});
