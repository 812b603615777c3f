import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { FeatureConfigError, loadFeatures, type FeatureDefinition } from './feature.js';
import { Hooks } from './hooks.js';

interface Vocabulary {
  ping: { seen: string[] };
}

const quiet = { error: () => {} };

test('features set up in order, collect disco features, and stopping undoes their hooks', async () => {
  const hooks = new Hooks<Vocabulary>(quiet);
  const ping: FeatureDefinition<Hooks<Vocabulary>, { reply: string }> = {
    name: 'ping',
    spec: { xep: 199, version: '2.0.1' },
    discoFeatures: ['urn:xmpp:ping'],
    config: z.object({ reply: z.string().default('pong') }),
    setup: (h, cfg) => [h.on('ping', (a) => void a.seen.push(cfg.reply))],
  };
  const loaded = await loadFeatures(hooks, [ping], { ping: { reply: 'PONG' } });
  assert.deepEqual(loaded.discoFeatures, ['urn:xmpp:ping']);
  const arg = { seen: [] as string[] };
  await hooks.run('ping', arg);
  assert.deepEqual(arg.seen, ['PONG']);
  loaded.stop();
  assert.equal(hooks.has('ping'), false);
});

test('a feature that registers nothing (off) does not advertise its disco features', async () => {
  const hooks = new Hooks<Vocabulary>(quiet);
  const off: FeatureDefinition<Hooks<Vocabulary>> = { name: 'off', spec: { xep: 215 }, discoFeatures: ['urn:xmpp:extdisco:2'], setup: () => [] };
  const on: FeatureDefinition<Hooks<Vocabulary>> = {
    name: 'on',
    spec: { xep: 199 },
    discoFeatures: ['urn:xmpp:ping'],
    dependsOn: ['off'],
    setup: (h) => [h.on('ping', () => {})],
  };
  const loaded = await loadFeatures(hooks, [off, on]);
  assert.deepEqual(loaded.names, ['off', 'on'], 'an off feature still counts as loaded for dependsOn');
  assert.deepEqual(loaded.discoFeatures, ['urn:xmpp:ping']);
});

test('a bad option fails boot naming the key; a missing dependency is refused', async () => {
  const hooks = new Hooks<Vocabulary>(quiet);
  const f: FeatureDefinition<unknown, { n: number }> = { name: 'f', spec: {}, config: z.object({ n: z.number().int() }), setup: () => [] };
  await assert.rejects(loadFeatures(hooks, [f], { f: { n: 'x' } }), (err: Error) => err instanceof FeatureConfigError && /features\.f\.n/.test(err.message));
  const g: FeatureDefinition<unknown> = { name: 'g', spec: {}, dependsOn: ['f'], setup: () => [] };
  await assert.rejects(loadFeatures(hooks, [g]), /needs f before it/);
});

test('handlers run by priority, stop ends the chain, a throwing handler is skipped', async () => {
  const errors: string[] = [];
  const hooks = new Hooks<Vocabulary>({ error: (_o, m) => errors.push(m) });
  hooks.on('ping', (a) => void a.seen.push('low'), { priority: -1 });
  hooks.on(
    'ping',
    () => {
      throw new Error('boom');
    },
    { priority: 10 },
  );
  hooks.on('ping', (a) => void a.seen.push('high'), { priority: 5 });
  const arg = { seen: [] as string[] };
  assert.equal(await hooks.run('ping', arg), 'continue');
  assert.deepEqual(arg.seen, ['high', 'low']);
  assert.equal(errors.length, 1);
  hooks.on('ping', () => 'stop', { priority: 7 });
  const arg2 = { seen: [] as string[] };
  assert.equal(await hooks.run('ping', arg2), 'stop');
  assert.deepEqual(arg2.seen, []);
});
