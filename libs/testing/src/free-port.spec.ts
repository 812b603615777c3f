import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from './free-port.js';

test('freePort never hands the same port out twice in one process', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 300; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  assert.ok(ports.every((p) => p > 0 && p < 65536));
});
