import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeMetrics } from './metrics-merge.js';

describe('mergeMetrics', () => {
  it('keeps each family once, the primary unlabelled, each worker with its label', () => {
    const primary = '# HELP a_total A\n# TYPE a_total counter\na_total 1\n# HELP h H\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 3\nh_count 2\n';
    const worker =
      '# HELP a_total A\n# TYPE a_total counter\na_total{kind="x"} 5\n# HELP b B\n# TYPE b gauge\nb 7\n# HELP h H\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n';
    assert.equal(
      mergeMetrics([{ text: primary }, { worker: '1', text: worker }]),
      [
        '# HELP a_total A',
        '# TYPE a_total counter',
        'a_total 1',
        'a_total{worker="1",kind="x"} 5',
        '# HELP h H',
        '# TYPE h histogram',
        'h_bucket{le="1"} 2',
        'h_sum 3',
        'h_count 2',
        'h_bucket{worker="1",le="1"} 1',
        'h_sum{worker="1"} 1',
        'h_count{worker="1"} 1',
        '# HELP b B',
        '# TYPE b gauge',
        'b{worker="1"} 7',
        '',
      ].join('\n'),
    );
  });
  it('a sample with empty braces gets just the label', () => {
    assert.equal(mergeMetrics([{ worker: '2', text: '# TYPE x gauge\nx{} 1\n' }]), '# TYPE x gauge\nx{worker="2"} 1\n');
  });
});
