/**
 * The routed stanza's frames written and read by hand: `Frame { stanza }` and `Frame { batch }`
 * (proto/glider/bus/v1/bus.proto), which every 1:1 stanza in a cluster crosses twice each way. The
 * bytes are the ones protobufjs writes: fields in id order, proto3's plain fields left out at their
 * default ('', 0, empty bytes), `optional` ones written whenever set (hot-frame.codec.spec.ts
 * compares 500 random frames byte for byte). What goes is protobufjs's writer and reader objects
 * and the mapping through the wire shape (messages.ts): frame.codec.bench measures encode 1.45 ×
 * and decode 1.3 × faster, and the cluster's codec time per routed stanza fell from 5.8 to 3.7 µs
 * (docs/performance.md).
 *
 * Only the common shape is read here: one body field that spans the frame, envelope fields this
 * file knows with the wire types it expects, `xml` present. Anything else (an unknown field a newer
 * writer added, a second field after the body, another body, an envelope without xml) returns
 * undefined and frame.codec.ts decodes it with protobufjs, so the fast path never reads a frame
 * differently. `HOT_FIELDS` is checked against the loaded .proto at start-up (frame.codec.ts): a
 * changed StanzaEnvelope turns this path off rather than dropping the new field, and a spec fails
 * until this file follows.
 */
import { stanzaKindNames, stanzaKindNumbers, type Frame, type SessionRef, type StanzaEnvelope } from './messages.js';

/** The fields this codec writes and reads: message → field id → [name, protobuf type]. */
export const HOT_FIELDS: Readonly<Record<string, Readonly<Record<number, readonly [string, string]>>>> = {
  'glider.bus.v1.StanzaEnvelope': {
    1: ['from', 'string'],
    2: ['to', 'string'],
    3: ['kind', 'glider.bus.v1.StanzaKind'],
    4: ['type', 'string'],
    5: ['id', 'string'],
    6: ['xml', 'bytes'],
    7: ['traceparent', 'string'],
    8: ['tracestate', 'string'],
    9: ['origin', 'glider.bus.v1.SessionRef'],
    10: ['target', 'glider.bus.v1.SessionRef'],
    11: ['hops', 'uint32'],
    12: ['ackWhenWritten', 'bool'],
    13: ['dedupeKey', 'string'],
    14: ['sessionKey', 'string'],
  },
  'glider.bus.v1.SessionRef': { 1: ['edgeId', 'string'], 2: ['sessionId', 'string'] },
  'glider.bus.v1.DeliveryBatch': { 1: ['stanzas', 'glider.bus.v1.StanzaEnvelope'] },
};

/** Frame's body fields read here: 1 stanza, 5 batch (length-delimited). */
const FRAME_STANZA = (1 << 3) | 2;
const FRAME_BATCH = (5 << 3) | 2;
const BATCH_STANZA = (1 << 3) | 2;

// ---- writing ----

/** UTF-8 length of `s` as Buffer.write encodes it (a lone surrogate as U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      i++; // a pair: 4 bytes for its 2 code units
      n += 2;
    } else n += 2;
  }
  return n;
}

const varintLength = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/** String lengths measured by the size pass, taken in the same order by the write pass. */
let lengths: number[] = [];
let next = 0;

function measure(s: string): number {
  const n = utf8Length(s);
  lengths.push(n);
  return 1 + varintLength(n) + n;
}

function refSize(r: SessionRef): number {
  let n = 0;
  if (r.edgeId) n += measure(r.edgeId);
  if (r.sessionId) n += measure(r.sessionId);
  return n;
}

/** A SessionRef field: its length goes before its strings' (the order the write pass takes them). */
function refField(r: SessionRef): number {
  const slot = lengths.push(0) - 1;
  const n = refSize(r);
  lengths[slot] = n;
  return 1 + varintLength(n) + n;
}

function envelopeSize(e: StanzaEnvelope): number {
  let n = 0;
  if (e.from) n += measure(e.from);
  if (e.to) n += measure(e.to);
  const kind = stanzaKindNumbers[e.kind] ?? 0;
  if (kind !== 0) n += 1 + varintLength(kind);
  if (e.type) n += measure(e.type);
  if (e.id) n += measure(e.id);
  if (e.xml?.byteLength) n += 1 + varintLength(e.xml.byteLength) + e.xml.byteLength;
  if (e.traceparent != null) n += measure(e.traceparent);
  if (e.tracestate != null) n += measure(e.tracestate);
  if (e.origin != null) n += refField(e.origin);
  if (e.target != null) n += refField(e.target);
  if (e.hops != null) n += 1 + varintLength(e.hops >>> 0);
  if (e.ackWhenWritten != null) n += 2;
  if (e.dedupeKey != null) n += measure(e.dedupeKey);
  if (e.sessionKey != null) n += measure(e.sessionKey);
  return n;
}

class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: number): void {
    const { buf } = this;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  string(tag: number, s: string): void {
    const n = lengths[next++]!;
    this.buf[this.pos++] = tag;
    this.varint(n);
    if (n === s.length) {
      // ASCII: one byte per code unit
      if (n < 32) for (let i = 0; i < n; i++) this.buf[this.pos + i] = s.charCodeAt(i);
      else this.buf.latin1Write(s, this.pos, n);
    } else this.buf.utf8Write(s, this.pos, n);
    this.pos += n;
  }

  ref(tag: number, r: SessionRef): void {
    this.buf[this.pos++] = tag;
    this.varint(lengths[next++]!);
    if (r.edgeId) this.string(0x0a, r.edgeId);
    if (r.sessionId) this.string(0x12, r.sessionId);
  }

  envelope(e: StanzaEnvelope): void {
    if (e.from) this.string(0x0a, e.from);
    if (e.to) this.string(0x12, e.to);
    const kind = stanzaKindNumbers[e.kind] ?? 0;
    if (kind !== 0) {
      this.buf[this.pos++] = 0x18;
      this.varint(kind);
    }
    if (e.type) this.string(0x22, e.type);
    if (e.id) this.string(0x2a, e.id);
    if (e.xml?.byteLength) {
      this.buf[this.pos++] = 0x32;
      this.varint(e.xml.byteLength);
      this.buf.set(e.xml, this.pos);
      this.pos += e.xml.byteLength;
    }
    if (e.traceparent != null) this.string(0x3a, e.traceparent);
    if (e.tracestate != null) this.string(0x42, e.tracestate);
    if (e.origin != null) this.ref(0x4a, e.origin);
    if (e.target != null) this.ref(0x52, e.target);
    if (e.hops != null) {
      this.buf[this.pos++] = 0x58;
      this.varint(e.hops >>> 0);
    }
    if (e.ackWhenWritten != null) {
      this.buf[this.pos++] = 0x60;
      this.buf[this.pos++] = e.ackWhenWritten ? 1 : 0;
    }
    if (e.dedupeKey != null) this.string(0x6a, e.dedupeKey);
    if (e.sessionKey != null) this.string(0x72, e.sessionKey);
  }
}

/** A stanza or batch frame's protobuf bytes; undefined for any other frame. */
export function encodeHotFrame(f: Frame): Uint8Array | undefined {
  lengths = [];
  next = 0;
  if (f.stanza) {
    const n = envelopeSize(f.stanza);
    const out = new Out(Buffer.allocUnsafe(1 + varintLength(n) + n));
    out.buf[out.pos++] = FRAME_STANZA;
    out.varint(n);
    out.envelope(f.stanza);
    return out.buf;
  }
  if (f.batch) {
    const sizes = f.batch.stanzas.map(envelopeSize);
    let body = 0;
    for (const n of sizes) body += 1 + varintLength(n) + n;
    const out = new Out(Buffer.allocUnsafe(1 + varintLength(body) + body));
    out.buf[out.pos++] = FRAME_BATCH;
    out.varint(body);
    f.batch.stanzas.forEach((e, i) => {
      out.buf[out.pos++] = BATCH_STANZA;
      out.varint(sizes[i]!);
      out.envelope(e);
    });
    return out.buf;
  }
  return undefined;
}

// ---- reading ----

/** Thrown inside the reader for a shape it leaves to protobufjs; never leaves this file. */
const NOT_HOT = new Error('not the hot shape');

class In {
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}

  varint(end: number): number {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) throw NOT_HOT;
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
    throw NOT_HOT; // longer than a uint32: not ours
  }

  /** The end of a length-delimited field that starts here, within `end`. */
  span(end: number): number {
    const n = this.varint(end);
    const stop = this.pos + n;
    if (stop > end) throw NOT_HOT;
    return stop;
  }

  string(end: number): string {
    const stop = this.span(end);
    const s = this.buf.utf8Slice(this.pos, stop); // as protobufjs's reader does for a Buffer
    this.pos = stop;
    return s;
  }

  ref(end: number): SessionRef {
    const stop = this.span(end);
    const r: SessionRef = { edgeId: '', sessionId: '' };
    while (this.pos < stop) {
      const tag = this.buf[this.pos++]!;
      if (tag === 0x0a) r.edgeId = this.string(stop);
      else if (tag === 0x12) r.sessionId = this.string(stop);
      else throw NOT_HOT;
    }
    return r;
  }

  envelope(stop: number): StanzaEnvelope {
    const e: StanzaEnvelope = { from: '', to: '', kind: 'STANZA_KIND_UNSPECIFIED', type: '', id: '', xml: EMPTY };
    let xml = false;
    while (this.pos < stop) {
      const tag = this.buf[this.pos++]!;
      switch (tag) {
        case 0x0a:
          e.from = this.string(stop);
          break;
        case 0x12:
          e.to = this.string(stop);
          break;
        case 0x18:
          e.kind = stanzaKindNames[this.varint(stop)] ?? 'STANZA_KIND_UNSPECIFIED';
          break;
        case 0x22:
          e.type = this.string(stop);
          break;
        case 0x2a:
          e.id = this.string(stop);
          break;
        case 0x32: {
          const end = this.span(stop);
          e.xml = this.buf.subarray(this.pos, end); // a view, as protobufjs's reader gives
          this.pos = end;
          xml = true;
          break;
        }
        case 0x3a:
          e.traceparent = this.string(stop);
          break;
        case 0x42:
          e.tracestate = this.string(stop);
          break;
        case 0x4a:
          e.origin = this.ref(stop);
          break;
        case 0x52:
          e.target = this.ref(stop);
          break;
        case 0x58:
          e.hops = this.varint(stop) >>> 0;
          break;
        case 0x60:
          e.ackWhenWritten = this.varint(stop) !== 0;
          break;
        case 0x6a:
          e.dedupeKey = this.string(stop);
          break;
        case 0x72:
          e.sessionKey = this.string(stop);
          break;
        default:
          throw NOT_HOT;
      }
    }
    if (!xml || this.pos !== stop) throw NOT_HOT;
    return e;
  }
}

const EMPTY = Buffer.alloc(0);

/** A stanza or batch frame read by hand; undefined for any other shape (protobufjs reads those). */
export function decodeHotFrame(buf: Buffer): Frame | undefined {
  const tag = buf[0];
  if (tag !== FRAME_STANZA && tag !== FRAME_BATCH) return undefined;
  try {
    const r = new In(buf, 1);
    const stop = r.span(buf.length);
    if (stop !== buf.length) return undefined; // more fields after the body: protobufjs decides
    if (tag === FRAME_STANZA) return { stanza: r.envelope(stop) };
    const stanzas: StanzaEnvelope[] = [];
    while (r.pos < stop) {
      if (buf[r.pos++] !== BATCH_STANZA) return undefined;
      stanzas.push(r.envelope(r.span(stop)));
    }
    return { batch: { stanzas } };
  } catch (err) {
    if (err === NOT_HOT) return undefined;
    throw err;
  }
}

declare global {
  interface Buffer {
    utf8Slice(start: number, end: number): string;
    utf8Write(s: string, offset: number, length: number): number;
    latin1Write(s: string, offset: number, length: number): number;
  }
}
