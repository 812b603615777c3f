import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { readFileSync } from 'node:fs';
import { busProtoPath, decodeFrame, encodeFrame, hotFieldsMatch, hotFrameCodec } from './frame.codec.js';
import { decodeHotFrame, encodeHotFrame } from './hot-frame.codec.js';
import { frameFromWire, frameToWire, type Frame, type FrameWire, type StanzaEnvelope, type StanzaKind } from './messages.js';

// protobufjs on the same .proto: the reference the hand-written coder must agree with byte for byte.
const ref = protobuf.loadSync(busProtoPath()).lookupType('glider.bus.v1.Frame');
const refEncode = (f: Frame): Buffer => Buffer.from(ref.encode(frameToWire(f)).finish());
const refDecode = (b: Buffer): Frame => frameFromWire(ref.decode(b) as unknown as FrameWire);

/** A small deterministic generator (mulberry32), so a failure names the seed that made it. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'z', '@', '/', '.', '-', 'é', 'ß', '中', '😀', ' ', '0'];
const KINDS: StanzaKind[] = ['STANZA_KIND_UNSPECIFIED', 'MESSAGE', 'PRESENCE', 'IQ'];

function envelope(r: () => number): StanzaEnvelope {
  const str = (max: number) => Array.from({ length: Math.floor(r() * max) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');
  const maybe = <T>(v: () => T): T | undefined => (r() < 0.5 ? v() : undefined);
  // sizes across varint widths: under 128, under 16 KiB, above
  const xmlSize = [0, 5, 127, 128, 300, 16_383, 16_384, 70_000][Math.floor(r() * 8)]!;
  const e: StanzaEnvelope = {
    from: str(60),
    to: str(60),
    kind: KINDS[Math.floor(r() * KINDS.length)]!,
    type: str(8),
    id: str(40),
    xml: Buffer.from(Array.from({ length: xmlSize }, () => Math.floor(r() * 256))),
  };
  const traceparent = maybe(() => str(60));
  if (traceparent !== undefined) e.traceparent = traceparent;
  const tracestate = maybe(() => str(20));
  if (tracestate !== undefined) e.tracestate = tracestate;
  const origin = maybe(() => ({ edgeId: str(20), sessionId: str(30) }));
  if (origin) e.origin = origin;
  const target = maybe(() => ({ edgeId: str(20), sessionId: str(200) }));
  if (target) e.target = target;
  const hops = maybe(() => [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1][Math.floor(r() * 6)]!);
  if (hops !== undefined) e.hops = hops;
  const ack = maybe(() => r() < 0.5);
  if (ack !== undefined) e.ackWhenWritten = ack;
  const dedupe = maybe(() => str(40));
  if (dedupe !== undefined) e.dedupeKey = dedupe;
  const key = maybe(() => str(30));
  if (key !== undefined) e.sessionKey = key;
  return e;
}

/** A decoded frame with its xml views as plain bytes, for deepEqual. */
const plain = (f: Frame | undefined) =>
  f && {
    ...(f.stanza ? { stanza: { ...f.stanza, xml: Buffer.from(f.stanza.xml) } } : {}),
    ...(f.batch ? { batch: { stanzas: f.batch.stanzas.map((s) => ({ ...s, xml: Buffer.from(s.xml) })) } } : {}),
  };

describe('hot-frame codec (stanza and batch frames by hand)', () => {
  it('is on: the loaded .proto has exactly the fields it knows (a changed StanzaEnvelope fails here)', () => {
    assert.equal(hotFrameCodec, true);
  });

  it('would be off for a .proto whose envelope gained, renamed or retyped a field', () => {
    const text = readFileSync(busProtoPath(), 'utf8');
    const changed = (from: string, to: string) => {
      assert.ok(text.includes(from), from);
      return hotFieldsMatch(protobuf.parse(text.replace(from, to), { keepCase: false }).root);
    };
    assert.equal(changed('', ''), true);
    assert.equal(changed('optional string session_key = 14;', 'optional string session_key = 14;\n  optional string added = 15;'), false);
    assert.equal(changed('optional string session_key = 14;', 'optional string lane_key = 14;'), false);
    assert.equal(changed('optional uint32 hops = 11;', 'optional uint64 hops = 11;'), false);
    assert.equal(changed('string session_id = 2;\n}', 'string session_id = 2;\n  string node = 3;\n}'), false);
  });

  it('writes the bytes protobufjs writes, and reads them as protobufjs does (500 random frames)', () => {
    let hand = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const r = rng(seed);
      const f: Frame = r() < 0.5 ? { stanza: envelope(r) } : { batch: { stanzas: Array.from({ length: Math.floor(r() * 5) }, () => envelope(r)) } };
      const mine = Buffer.from(encodeHotFrame(f)!);
      const theirs = refEncode(f);
      assert.ok(mine.equals(theirs), `seed ${seed}: bytes differ`);
      // an envelope without xml (protobuf leaves out empty bytes) is protobufjs's to read
      const hot = decodeHotFrame(theirs);
      const empty = (f.stanza ? [f.stanza] : f.batch!.stanzas).some((e) => e.xml.byteLength === 0);
      assert.equal(hot === undefined, empty, `seed ${seed}: ${empty ? 'read an envelope without xml' : 'left to protobufjs'}`);
      if (hot) hand++;
      assert.deepEqual(plain(decodeFrame(theirs)), plain(refDecode(theirs)), `seed ${seed}: read differently`);
    }
    assert.ok(hand > 300, `only ${hand} of 500 read by hand`);
  });

  it('leaves any other shape to protobufjs, which frame.codec then uses', () => {
    const base: Frame = { stanza: { from: 'a@x/r', to: 'b@x', kind: 'MESSAGE', type: 'chat', id: '1', xml: Buffer.from('<message/>') } };
    const bytes = refEncode(base);
    // a field a newer writer added to the envelope (15, varint): skipped by protobufjs, not known here
    const inner = Buffer.concat([bytes.subarray(2), Buffer.from([15 << 3, 1])]);
    const newer = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
    assert.equal(decodeHotFrame(newer), undefined);
    assert.deepEqual(plain(decodeFrame(newer)), plain(base));
    // another body, a second field after the body, no xml, a truncated frame
    const session: Frame = { session: { kind: 'ENDED', jid: 'a@x/r' } };
    assert.equal(decodeHotFrame(refEncode(session)), undefined);
    assert.deepEqual(decodeFrame(encodeFrame(session)), session);
    assert.equal(decodeHotFrame(Buffer.concat([bytes, Buffer.from([0x12, 0])])), undefined);
    const noXml = refEncode({ stanza: { ...base.stanza!, xml: undefined as unknown as Uint8Array } });
    assert.equal(decodeHotFrame(noXml), undefined);
    assert.equal(decodeHotFrame(bytes.subarray(0, bytes.length - 3)), undefined);
    assert.throws(() => decodeFrame(bytes.subarray(0, bytes.length - 3)));
    assert.equal(encodeHotFrame(session), undefined);
  });

  it('reads a lone surrogate the way protobufjs does (the replacement character)', () => {
    const f: Frame = { stanza: { from: 'a\ud800b', to: '', kind: 'IQ', type: '', id: '', xml: Buffer.from('<iq/>') } };
    const mine = Buffer.from(encodeHotFrame(f)!);
    assert.deepEqual(plain(decodeHotFrame(mine)), plain(refDecode(mine)));
    assert.equal(decodeHotFrame(mine)!.stanza!.from, 'a\ufffdb');
  });
});
