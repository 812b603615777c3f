import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderSplit, splitSamples } from './perf-split.js';

// `perf script -F pid,tid,ip,sym`: a header line per sample, then its stack from the leaf.
const sample = (pid: number, ...frames: string[]) => [`${pid}/${pid}  `, ...frames.map((f, i) => `\t    ${(0x1000 + i).toString(16)} ${f}`)].join('\n');
const kernelSample = (pid: number, ...frames: string[]) =>
  [`${pid}/${pid}  `, `\tffffffff81000000 ${frames[0]}`, ...frames.slice(1).map((f) => `\t    1000 ${f}`)].join('\n');

describe('perf-split', () => {
  it('puts a sample in the first category met from the leaf, counts kernel leaves apart, skips start-up-only frames', () => {
    const script = [
      sample(
        7,
        "JS:*'write_string_buffer /x/node_modules/protobufjs/src/writer_buffer.js:67:61",
        "JS:*'route file:///x/dist/apps/router/src/core/routing.js:24:28",
      ),
      sample(7, 'Builtins_FindOrderedHashMapEntry', "JS:*'ofUser file:///x/dist/libs/sessions/src/kv-session-registry.js:204:17"),
      // a stale name (the .proto tokenizer) between two routing frames: not protobuf
      sample(
        7,
        'Builtins_LoadIC',
        "JS:+'next /x/node_modules/protobufjs/src/tokenize.js:218:18",
        "JS:*'deliver file:///x/dist/apps/router/src/core/message-rules.js:64:23",
      ),
      kernelSample(
        7,
        'finish_task_switch.isra.0',
        'node::LibuvStreamWrap::DoTryWrite',
        "JS:+'writeGeneric node:internal/stream_base_commons:93:22",
        'JS:*parse /x/node_modules/@nats-io/nats-core/lib/parser.js:84:10',
      ),
      sample(7, 'v8::internal::Scavenger::ScavengeObject<v8::internal::FullHeapObjectSlot>', 'v8::internal::ScavengerCollector::CollectGarbage'),
      sample(9, 'runtime.futex'),
    ].join('\n\n');
    const splits = splitSamples(script);
    const router = splits.get('7')!;
    assert.equal(router.samples, 5);
    assert.equal(router.kernel, 1);
    assert.deepEqual(Object.fromEntries(router.byCategory), { protobuf: 1, "Glider's code": 2, 'socket write': 1, GC: 1 });
    assert.deepEqual(Object.fromEntries(splits.get('9')!.byCategory), { other: 1 });
  });

  it('prints µs per unit: samples / frequency / seconds / units per second', () => {
    const splits = splitSamples([sample(7, 'x'), sample(7, 'y'), sample(9, 'z')].join('\n\n'));
    // 2 samples at 1,000 Hz over 1 s = 2 ms of CPU, for 100 units/s: 20 µs per unit
    assert.equal(
      renderSplit(
        splits,
        new Map([
          ['7', 'router-1'],
          ['9', 'nats-server'],
        ]),
        1,
        100,
        1000,
      ),
      ['router-1       20.0 µs per unit (kernel 0.0): other 20.0', 'nats-server    10.0 µs per unit (kernel 0.0): other 10.0'].join('\n'),
    );
  });
});
