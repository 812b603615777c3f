import { test } from 'node:test';
import assert from 'node:assert/strict';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { StanzaEnvelope } from './messages.js';
import { continueSpan, parentSampled } from './traced.js';

const env = (traceparent?: string): StanzaEnvelope => ({
  from: 'a@localhost/pc',
  to: 'b@localhost/pc',
  kind: 'MESSAGE',
  type: 'chat',
  id: 'x',
  xml: new Uint8Array(),
  hops: 0,
  ...(traceparent ? { traceparent } : {}),
});
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

test('parentSampled reads the W3C traceparent flags', () => {
  assert.equal(parentSampled(env(`00-${TRACE}-${SPAN}-01`)), true);
  assert.equal(parentSampled(env(`00-${TRACE}-${SPAN}-03`)), true);
  assert.equal(parentSampled(env(`00-${TRACE}-${SPAN}-00`)), false);
  assert.equal(parentSampled(env(`00-${TRACE}-${SPAN}-02`)), false);
  // a later version may append fields; the flags stay where they are
  assert.equal(parentSampled(env(`01-${TRACE}-${SPAN}-01-extra`)), true);
});

test('parentSampled: no traceparent means the active span decides (none: unsampled); an unreadable one counts as sampled', () => {
  assert.equal(parentSampled(env()), false);
  assert.equal(parentSampled(env('garbage')), true);
  assert.equal(parentSampled(env(`00-${TRACE}-${SPAN}-zz`)), true);
  assert.equal(parentSampled(env(`00_${TRACE}-${SPAN}-00`)), true);
});

test('continueSpan still makes spans while telemetry was not started without an endpoint', () => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const span = continueSpan('glider-test', 'test.deliver', env(`00-${TRACE}-${SPAN}-00`));
  // the no-op tracer (no SDK here) keeps the remote parent's context; a skipped span has none
  assert.equal(span.spanContext().traceId, TRACE);
  span.end();
});
