import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandArchiveRuns } from './archive-runs.js';

test('without --archive every target runs once with its own label; Glider without the archive, as the peers run', () => {
  assert.deepEqual(expandArchiveRuns(['prosody', 'glider', 'glider-cluster'], undefined), [
    { target: 'prosody' },
    { target: 'glider', env: { GLIDER_ARCHIVE__ENABLED: 'false' } },
    { target: 'glider-cluster', env: { GLIDER_ARCHIVE__ENABLED: 'false' } },
  ]);
});

test('--archive off,on runs each Glider target once per setting, others once', () => {
  assert.deepEqual(expandArchiveRuns(['ejabberd', 'glider', 'glider-cluster'], 'off,on'), [
    { target: 'ejabberd' },
    { target: 'glider', label: 'glider/mam-off', env: { GLIDER_ARCHIVE__ENABLED: 'false' } },
    { target: 'glider', label: 'glider/mam-on', env: { GLIDER_ARCHIVE__ENABLED: 'true' } },
    { target: 'glider-cluster', label: 'glider-cluster/mam-off', env: { GLIDER_ARCHIVE__ENABLED: 'false' } },
    { target: 'glider-cluster', label: 'glider-cluster/mam-on', env: { GLIDER_ARCHIVE__ENABLED: 'true' } },
  ]);
});

test('--archive with another value is refused by name', () => {
  assert.throws(() => expandArchiveRuns(['glider'], 'off,yes'), /--archive: yes is neither off nor on/);
});
