import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownerOf, partitionsOwnedBy } from './rendezvous.js';
import { subjectMatches } from './subject-match.js';

const members = ['router-0', 'router-1', 'router-2'];

test('every partition has exactly one owner, whatever the member order', () => {
  const all = members.flatMap((m) => partitionsOwnedBy(m, members, 64)).sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 64 }, (_, i) => i),
  );
  for (let p = 0; p < 64; p++) assert.equal(ownerOf(p, members), ownerOf(p, [...members].reverse()));
});

test('a member joining takes partitions only for itself; one leaving moves only its own', () => {
  const bigger = [...members, 'router-3'];
  for (let p = 0; p < 64; p++) {
    const before = ownerOf(p, members);
    const after = ownerOf(p, bigger);
    assert.ok(after === before || after === 'router-3', `partition ${p} moved between old members`);
  }
  const smaller = members.filter((m) => m !== 'router-1');
  for (let p = 0; p < 64; p++) {
    if (ownerOf(p, members) !== 'router-1') assert.equal(ownerOf(p, smaller), ownerOf(p, members));
  }
  assert.equal(ownerOf(0, []), undefined);
});

test('subject wildcards follow NATS rules', () => {
  assert.ok(subjectMatches('a.*.c', 'a.b.c'));
  assert.ok(!subjectMatches('a.*.c', 'a.b.d.c'));
  assert.ok(subjectMatches('a.>', 'a.b'));
  assert.ok(subjectMatches('a.>', 'a.b.c'));
  assert.ok(!subjectMatches('a.>', 'a'));
  assert.ok(subjectMatches('*', 'a'));
  assert.ok(!subjectMatches('*', 'a.b'));
  assert.ok(subjectMatches('>', 'a.b'));
  assert.ok(!subjectMatches('a.b', 'a.bc'));
});
