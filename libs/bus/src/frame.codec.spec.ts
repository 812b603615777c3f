import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { busProtoPath, decodeAck, decodeFrame, decodeSessionRecord, encodeAck, encodeFrame, encodeSessionRecord } from './frame.codec.js';
import type { Frame } from './messages.js';

const xml = new TextEncoder().encode('<message to="b@x" from="a@x/r" id="1"><body>hi</body></message>');

test('a stanza frame round-trips, and xml is a view into the input (no copy)', () => {
  const f: Frame = {
    stanza: {
      from: 'a@x/r',
      to: 'b@x',
      kind: 'MESSAGE',
      type: 'chat',
      id: '1',
      xml,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      origin: { edgeId: 'edge-1', sessionId: 's1' },
      target: { edgeId: 'edge-2', sessionId: 's2' },
      hops: 2,
      ackWhenWritten: true,
    },
  };
  const bytes = encodeFrame(f);
  const back = decodeFrame(bytes);
  assert.deepEqual({ ...back.stanza, xml: Buffer.from(back.stanza!.xml) }, { ...f.stanza, xml: Buffer.from(xml) });
  assert.equal(back.stanza!.xml.buffer, bytes.buffer);
  const copy = new Uint8Array(bytes); // a plain Uint8Array, not a Buffer
  assert.equal(Buffer.from(decodeFrame(copy).stanza!.xml).toString(), Buffer.from(xml).toString());
});

test('session, control and load frames round-trip', () => {
  const frames: Frame[] = [
    { session: { kind: 'ENDED', jid: 'a@x/r', session: { edgeId: 'e', sessionId: 's' }, wasAvailable: true, status: 'bye' } },
    { control: { kind: 'CLOSE_SESSION', sessionId: 's', condition: 'conflict', text: '' } },
    { load: { component: 'edge', instance: 'e-0', connections: 12, stanzasPerSecond: 3.5, atMs: 1_790_000_000_000, draining: false } },
  ];
  for (const f of frames) assert.deepEqual(decodeFrame(encodeFrame(f)), f);
  assert.deepEqual(decodeFrame(encodeFrame({})), {});
});

test('acks and session records round-trip', () => {
  assert.deepEqual(decodeAck(encodeAck({ taken: true })), { taken: true });
  assert.deepEqual(decodeAck(encodeAck({ taken: false, error: 'x' })), { taken: false, error: 'x' });
  const r = { jid: 'a@x/r', session: { edgeId: 'e', sessionId: 's' }, priority: -1, available: true, interested: false, boundAtMs: 1_790_000_000_123 };
  assert.deepEqual(decodeSessionRecord(encodeSessionRecord(r)), r);
  const withPresence = decodeSessionRecord(encodeSessionRecord({ ...r, lastPresence: xml }));
  assert.equal(Buffer.from(withPresence.lastPresence!).toString(), Buffer.from(xml).toString());
});

test('fields and bodies from a newer writer are ignored (additive evolution)', () => {
  const newer = protobuf.loadSync(busProtoPath());
  const env = newer.lookupType('glider.bus.v1.StanzaEnvelope');
  env.add(new protobuf.Field('priorityHint', 99, 'string'));
  const frame = newer.lookupType('glider.bus.v1.Frame');
  const future = new protobuf.Type('FutureThing').add(new protobuf.Field('x', 1, 'string'));
  frame.add(future);
  frame.add(new protobuf.Field('future', 50, 'FutureThing'));
  newer.resolveAll();

  const bytes = frame.encode({ stanza: { from: 'a@x/r', to: 'b@x', kind: 1, id: '7', xml, priorityHint: 'high' } }).finish();
  const back = decodeFrame(bytes);
  assert.equal(back.stanza?.kind, 'MESSAGE');
  assert.equal(back.stanza?.id, '7');
  assert.equal((back.stanza as unknown as Record<string, unknown>)['priorityHint'], undefined);
  assert.deepEqual(decodeFrame(frame.encode({ future: { x: 'y' } }).finish()), {});
});
