import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandArchiveRuns } from './archive-runs.js';
import { expandWorkerRuns } from './worker-runs.js';

describe('expandWorkerRuns', () => {
  it('runs standalone once per value, labelled, and leaves the other targets alone', () => {
    assert.deepEqual(expandWorkerRuns(expandArchiveRuns(['glider', 'glider-cluster', 'prosody'], undefined), '1,2'), [
      { target: 'glider', label: 'glider/w1', env: { GLIDER_ARCHIVE__ENABLED: 'false', GLIDER_STANDALONE__WORKERS: '1' } },
      { target: 'glider', label: 'glider/w2', env: { GLIDER_ARCHIVE__ENABLED: 'false', GLIDER_STANDALONE__WORKERS: '2' } },
      { target: 'glider-cluster', env: { GLIDER_ARCHIVE__ENABLED: 'false' } },
      { target: 'prosody' },
    ]);
  });
  it('combines with --archive', () => {
    assert.deepEqual(expandWorkerRuns(expandArchiveRuns(['glider'], 'on'), 'auto'), [
      { target: 'glider', label: 'glider/mam-on/wauto', env: { GLIDER_ARCHIVE__ENABLED: 'true', GLIDER_STANDALONE__WORKERS: 'auto' } },
    ]);
  });
  it('no flag: the runs as they were; a bad value is refused', () => {
    const runs = expandArchiveRuns(['glider'], undefined);
    assert.equal(expandWorkerRuns(runs, undefined), runs);
    assert.throws(() => expandWorkerRuns(runs, '0'), /--standalone-workers: 0/);
    assert.throws(() => expandWorkerRuns(runs, 'two'), /--standalone-workers: two/);
  });
});
