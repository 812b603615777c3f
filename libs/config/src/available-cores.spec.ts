import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableCores } from './available-cores.js';

const files = (map: Record<string, string>) => (f: string) => map[f];

describe('availableCores', () => {
  it('no cgroup quota: the CPUs the affinity allows', () => {
    assert.equal(availableCores(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }), 8), 8);
    assert.equal(availableCores(files({}), 3), 3);
  });
  it('cgroup v2 quota, rounded up, never above the CPUs', () => {
    assert.equal(availableCores(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }), 16), 2);
    assert.equal(availableCores(files({ '/sys/fs/cgroup/cpu.max': '200000 100000' }), 16), 2);
    assert.equal(availableCores(files({ '/sys/fs/cgroup/cpu.max': '800000 100000' }), 4), 4);
    assert.equal(availableCores(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }), 4), 1);
  });
  it('cgroup v1 quota; -1 means none', () => {
    const v1 = (q: string) => files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': q, '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' });
    assert.equal(availableCores(v1('300000'), 8), 3);
    assert.equal(availableCores(v1('-1'), 8), 8);
  });
  it('garbage reads as no quota, and the answer is at least 1', () => {
    assert.equal(availableCores(files({ '/sys/fs/cgroup/cpu.max': 'nonsense' }), 2), 2);
    assert.equal(availableCores(files({}), 0), 1);
  });
});
