import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitProblems, SERVER_FD_RESERVE, sourceAddressesFor } from './limits.js';

const machine = { fdHardLimit: 65_536, ephemeralPorts: 28_232 };

test('a soak that fits the machine has no problems', () => {
  assert.deepEqual(limitProblems({ connections: 20_000, pairs: 100, workers: 4, sourceAddresses: sourceAddressesFor(20_200, machine) }, machine), []);
});

test('a server fd hard limit below the connections is named, with the largest run that fits', () => {
  const tight = { ...machine, fdHardLimit: 20_000 };
  const [problem, ...rest] = limitProblems({ connections: 20_000, pairs: 100, workers: 4, sourceAddresses: 2 }, tight);
  assert.equal(rest.length, 0);
  assert.match(problem!, /hard limit is 20000/);
  assert.match(problem!, new RegExp(`at most --connections ${20_000 - SERVER_FD_RESERVE - 200}`));
});

test('too few generator processes or source addresses are named', () => {
  const problems = limitProblems({ connections: 70_000, pairs: 0, workers: 1, sourceAddresses: 1 }, machine);
  assert.equal(problems.length, 3);
  assert.match(problems[1]!, /raise --workers/);
  assert.match(problems[2]!, /raise --source-addresses/);
  assert.deepEqual(limitProblems({ connections: 40_000, pairs: 0, workers: 4, sourceAddresses: 1 }, machine).length, 1);
  assert.equal(sourceAddressesFor(40_000, machine), 3);
});
