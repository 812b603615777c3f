import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChannelBindings, Transport } from '../../transport/transport.js';
import { offeredFor } from './index.js';

/** Channel bindings whose data counts its reads, as transport/channel-bindings.ts computes it on first read. */
function bindingsOf(types: (keyof ChannelBindings)[]): { bindings: ChannelBindings; reads: () => number } {
  let reads = 0;
  const bindings: ChannelBindings = {};
  for (const type of types) {
    Object.defineProperty(bindings, type, {
      enumerable: true,
      get: () => (reads++, Buffer.alloc(32)),
    });
  }
  return { bindings, reads: () => reads };
}

const streamWith = (bindings: ChannelBindings) => ({ transport: { channelBindings: () => bindings } as unknown as Transport });

test('FAST offers the HT mechanisms by the binding types the connection has, without computing their data', () => {
  const tls13 = bindingsOf(['tls-exporter', 'tls-server-end-point']);
  assert.deepEqual(offeredFor(streamWith(tls13.bindings)), ['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP', 'HT-SHA-256-NONE']);
  assert.equal(tls13.reads(), 0, 'offering read no binding data');
  const tls12 = bindingsOf(['tls-server-end-point']);
  assert.deepEqual(offeredFor(streamWith(tls12.bindings)), ['HT-SHA-256-ENDP', 'HT-SHA-256-NONE']);
  assert.deepEqual(offeredFor(streamWith({})), ['HT-SHA-256-NONE']);
});
