import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import { assumeSpansOnlyUnderSampledParents } from '#libs/telemetry';
import type { StanzaEnvelope } from './messages.js';
import { producerSpan, traced } from './traced.js';

// A process without an OTLP endpoint, as startTelemetry() sets it up: parent-based, roots off.
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }), spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
);
// (the work each test runs reads the active span before its first await, so a synchronous manager is enough)
context.setGlobalContextManager(new StackContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
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
const underSampledSpan = <T>(fn: () => T): T =>
  context.with(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED })), fn);

test('no endpoint, nothing sampled: producerSpan makes no span and puts no traceparent on the envelope', () => {
  assumeSpansOnlyUnderSampledParents(true);
  exporter.reset();
  const { span, carrier } = producerSpan('glider-test', 'edge.route', { 'xmpp.stanza': 'message' });
  assert.deepEqual(carrier, {});
  assert.equal(span.isRecording(), false);
  assert.equal(trace.isSpanContextValid(span.spanContext()), false);
  span.end();
  assert.equal(exporter.getFinishedSpans().length, 0);
});

test('no endpoint, unsampled or no parent: traced runs the work in the caller context, with no span', async () => {
  assumeSpansOnlyUnderSampledParents(true);
  exporter.reset();
  for (const tp of [undefined, `00-${TRACE}-${SPAN}-00`]) {
    const seen = await traced('glider-test', 'router.route', env(tp), async () => trace.getActiveSpan());
    assert.equal(seen, undefined, `traceparent ${tp}`);
  }
  assert.equal(exporter.getFinishedSpans().length, 0);
});

test('no endpoint, under a sampled span: producerSpan records and propagates it, traced continues it', async () => {
  assumeSpansOnlyUnderSampledParents(true);
  exporter.reset();
  const { span, carrier } = underSampledSpan(() => producerSpan('glider-test', 'edge.route', { 'xmpp.stanza': 'message' }));
  assert.equal(span.isRecording(), true);
  assert.match(carrier.traceparent ?? '', new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  span.end();
  const inner = await traced('glider-test', 'router.route', env(carrier.traceparent), async () => trace.getActiveSpan()?.spanContext());
  assert.equal(inner?.traceId, TRACE);
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => [s.name, s.parentSpanContext?.spanId]),
    [
      ['edge.route', SPAN],
      ['router.route', span.spanContext().spanId],
    ],
  );
});

test('while telemetry is not started (spans always made): producerSpan still starts a span and propagates its context', () => {
  assumeSpansOnlyUnderSampledParents(false);
  const { span, carrier } = producerSpan('glider-test', 'edge.route', { 'xmpp.stanza': 'message' });
  // the root sampler is off here, so the span is not recorded, but it exists and its context crosses the bus
  assert.equal(trace.isSpanContextValid(span.spanContext()), true);
  assert.match(carrier.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  span.end();
});
