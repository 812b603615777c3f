import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { describe, it } from 'node:test';
import { localMemoryBytes, nodeOptions, quantityBytes, SEMI_SPACE_CEILING_MIB } from './node-options.js';

const GiB = 1024 ** 3;

describe('the V8 options every Glider process starts with', () => {
  it('caps the semi-space only where V8 would choose more on its own (2 GiB and up, or unknown)', () => {
    assert.deepEqual(nodeOptions(undefined), [`--max-semi-space-size=${SEMI_SPACE_CEILING_MIB}`]);
    assert.deepEqual(nodeOptions(24 * GiB), ['--max-semi-space-size=32']);
    assert.deepEqual(nodeOptions(2 * GiB), ['--max-semi-space-size=32']);
    assert.deepEqual(nodeOptions(2 * GiB - 1), []);
    assert.deepEqual(nodeOptions(512 * 1024 ** 2), []);
    assert.deepEqual(nodeOptions(Number.NaN), []);
  });

  it('sees the host memory, or a smaller cgroup limit', () => {
    const m = localMemoryBytes();
    assert.ok(m > 0 && m <= totalmem());
  });

  it('is an option node accepts, and it keeps the young generation under the ceiling where the default grows past it', () => {
    // allocate enough short- and medium-lived objects that V8 grows its new space as far as it may
    const probe = `const v8=require('v8');const keep=[];let max=0;
      for(let i=0;i<2e6;i++){keep.push({i,s:'x'+i});if(keep.length>150000)keep.length=0;
        if(i%20000===0){const n=v8.getHeapSpaceStatistics().find(s=>s.space_name==='new_space').space_size;if(n>max)max=n;}}
      process.stdout.write(JSON.stringify({newSpace:max/2**20,limit:v8.getHeapStatistics().heap_size_limit/2**20}));`;
    const run = (args: string[]): { newSpace: number; limit: number } => {
      const r = spawnSync(process.execPath, [...args, '-e', probe], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { newSpace: number; limit: number };
    };
    const capped = run(nodeOptions(undefined));
    // two semi-spaces of the ceiling at most
    assert.ok(capped.newSpace <= 2 * SEMI_SPACE_CEILING_MIB, `new space grew to ${capped.newSpace} MiB`);
    // V8's own ceiling is above this one from 4 GiB (2 × 64 MiB): the option must then make a difference.
    // Read from V8's heap limit (old generation plus three semi-spaces at their maximum), not from how far
    // a probe's new space happens to grow: V8 also shrinks it when allocation is slow, as on a busy machine,
    // so without the option a probe in CI once peaked at 64 MiB, no more than with it.
    if (localMemoryBytes() >= 4 * GiB) {
      const uncapped = run([]);
      assert.ok(uncapped.limit > capped.limit, `V8's heap limit ${uncapped.limit} MiB without the option, ${capped.limit} MiB with it`);
    }
  });
});

describe('Kubernetes memory quantities', () => {
  it('reads binary and decimal suffixes, plain bytes and exponents', () => {
    assert.equal(quantityBytes('2Gi'), 2 * GiB);
    assert.equal(quantityBytes('512Mi'), 512 * 1024 ** 2);
    assert.equal(quantityBytes('1500M'), 1.5e9);
    assert.equal(quantityBytes('2G'), 2e9);
    assert.equal(quantityBytes('1.5Gi'), 1.5 * GiB);
    assert.equal(quantityBytes('1073741824'), GiB);
    assert.equal(quantityBytes('3e9'), 3e9);
    assert.equal(quantityBytes('128974848000m'), 128974848);
    assert.equal(quantityBytes(4096), 4096);
    assert.equal(quantityBytes(undefined), undefined);
  });

  it('answers undefined for what is not a quantity', () => {
    for (const bad of ['', 'Gi', '2 GiB', '2gb', '-1Gi', 'lots', '1.2.3Mi']) assert.equal(quantityBytes(bad), undefined, bad);
    assert.equal(quantityBytes(-5), undefined);
    assert.equal(quantityBytes(Number.POSITIVE_INFINITY), undefined);
  });
});
