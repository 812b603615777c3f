/**
 * Protobuf codec for every bus message (proto/glider/bus/v1/bus.proto), loaded once at start-up.
 * The hot path encodes plain objects with prebuilt Types and decodes without copying `xml`: it is a
 * view into the received buffer, so copy it before keeping it for long (it pins that buffer).
 * The shapes and the mapping to and from protobufjs's objects are generated from the same .proto
 * (messages.ts, `npm run proto`), so a field added there needs no edit here.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeHotFrame, encodeHotFrame, HOT_FIELDS } from './hot-frame.codec.js';
import { heldValue, holdLocal, wire } from './local-values.js';
import {
  ackCopy,
  batchAckCopy,
  frameCopy,
  batchAckFromWire,
  batchAckToWire,
  type BatchAck,
  type BatchAckWire,
  ackFromWire,
  ackToWire,
  frameFromWire,
  frameToWire,
  serviceDeclarationFromWire,
  serviceDeclarationToWire,
  sessionRecordFromWire,
  sessionRecordToWire,
  socks5ActivationFromWire,
  socks5ActivationResultFromWire,
  socks5ActivationResultToWire,
  socks5ActivationToWire,
  socks5ClaimFromWire,
  socks5ClaimToWire,
  type Ack,
  type AckWire,
  type Frame,
  type FrameWire,
  type ServiceDeclaration,
  type ServiceDeclarationWire,
  type SessionRecord,
  type SessionRecordWire,
  type StanzaEnvelope,
  type Socks5Activation,
  type Socks5ActivationResult,
  type Socks5ActivationResultWire,
  type Socks5ActivationWire,
  type Socks5Claim,
  type Socks5ClaimWire,
} from './messages.js';

const PROTO = join('proto', 'glider', 'bus', 'v1', 'bus.proto');

/** The repository (or installed package) root: the first directory upwards holding package.json. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
}

export const busProtoPath = (): string => join(packageRoot(), PROTO);

const root = protobuf.loadSync(busProtoPath());
const T = {
  frame: root.lookupType('glider.bus.v1.Frame'),
  ack: root.lookupType('glider.bus.v1.Ack'),
  batchAck: root.lookupType('glider.bus.v1.BatchAck'),
  record: root.lookupType('glider.bus.v1.SessionRecord'),
  service: root.lookupType('glider.bus.v1.ServiceDeclaration'),
  socks5Claim: root.lookupType('glider.bus.v1.Socks5Claim'),
  socks5Activation: root.lookupType('glider.bus.v1.Socks5Activation'),
  socks5ActivationResult: root.lookupType('glider.bus.v1.Socks5ActivationResult'),
};

/**
 * The hand-written coder of stanza and batch frames (hot-frame.codec.ts) runs only while the loaded
 * .proto has exactly the fields it knows: a field added to StanzaEnvelope turns it off (protobufjs
 * then codes every frame) instead of being dropped, and frame.codec.spec.ts fails until it knows it.
 */
export const hotFrameCodec: boolean = hotFieldsMatch(root);

/** True when `proto` declares exactly HOT_FIELDS (ids, names, types) for the messages the hand coder writes. */
export function hotFieldsMatch(proto: protobuf.Root): boolean {
  return Object.entries(HOT_FIELDS).every(([name, fields]) => {
    const type = proto.lookupType(name);
    const ids = Object.keys(fields).map(Number);
    return (
      type.fieldsArray.length === ids.length &&
      type.fieldsArray.every((f) => {
        f.resolve();
        const known = fields[f.id];
        const typeName = f.resolvedType ? f.resolvedType.fullName.replace(/^\./, '') : f.type;
        return known !== undefined && known[0] === f.name && known[1] === typeName && f.repeated === (name === 'glider.bus.v1.DeliveryBatch');
      })
    );
  });
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

// Frames and Acks may stay objects inside one process (local-values.ts): encode* then returns a
// placeholder, and decode* of it a copy of the value (messages.ts's generated …Copy: what the mapping
// through the wire shape gives, in one pass; messages.spec.ts checks they agree); `wire()` makes the
// bytes where they leave.
const frameBytes = (f: Frame): Uint8Array => (hotFrameCodec ? encodeHotFrame(f) : undefined) ?? T.frame.encode(frameToWire(f)).finish();
const ackBytes = (a: Ack): Uint8Array => T.ack.encode(ackToWire(a)).finish();
const batchAckBytes = (a: BatchAck): Uint8Array => T.batchAck.encode(batchAckToWire(a)).finish();

export function encodeFrame(f: Frame): Uint8Array {
  return holdLocal('frame', f, frameCopy, frameBytes) ?? frameBytes(f);
}

export function decodeFrame(b: Uint8Array): Frame {
  const held = heldValue<Frame>(b, 'frame');
  if (held) return held;
  const buf = asBuffer(wire(b));
  return (hotFrameCodec ? decodeHotFrame(buf) : undefined) ?? frameFromWire(T.frame.decode(buf) as unknown as FrameWire);
}

export function encodeAck(a: Ack): Uint8Array {
  return holdLocal('ack', a, ackCopy, ackBytes) ?? ackBytes(a);
}

/** An Ack's protobuf bytes, never a local placeholder (to compare a reply's bytes with). */
export function ackWireBytes(a: Ack): Uint8Array {
  return ackBytes(a);
}

export function decodeAck(b: Uint8Array): Ack {
  return heldValue<Ack>(b, 'ack') ?? ackFromWire(T.ack.decode(asBuffer(wire(b))) as unknown as AckWire);
}

/**
 * How many bytes of XML one DeliveryBatch frame carries at most (the edge's route lane, the router's
 * service lanes, coalesced deliveries): with the envelopes around them, well under NATS's default
 * max_payload (1 MiB), which a bigger frame would exceed and fail as a whole. A stanza larger than
 * this goes alone (edge.limits.maxStanzaBytes is 256 KiB by default).
 */
export const BATCH_XML_BYTES = 256 * 1024;

/**
 * How many of `waiting`, from the first, go in one DeliveryBatch: at most `max`, no more than
 * BATCH_XML_BYTES of XML together (the first always goes), and only while `same` holds for the next.
 */
export function batchLength<T extends { env: StanzaEnvelope }>(waiting: readonly T[], max: number, same: (item: T) => boolean = () => true): number {
  const limit = Math.min(waiting.length, max);
  let n = 1;
  let bytes = waiting[0]!.env.xml.byteLength;
  while (n < limit && same(waiting[n]!) && (bytes += waiting[n]!.env.xml.byteLength) <= BATCH_XML_BYTES) n++;
  return n;
}

/** The answer to a DeliveryBatch frame: one Ack per stanza, in order. */
export function encodeBatchAck(a: BatchAck): Uint8Array {
  return holdLocal('batchAck', a, batchAckCopy, batchAckBytes) ?? batchAckBytes(a);
}

export function decodeBatchAck(b: Uint8Array): BatchAck {
  return heldValue<BatchAck>(b, 'batchAck') ?? batchAckFromWire(T.batchAck.decode(asBuffer(wire(b))) as unknown as BatchAckWire);
}

/**
 * The answer to a DeliveryBatch of `n` stanzas: their Acks in order; 'unrouted' for the plain
 * "taken" Ack of a consumer that does not know batches on its subject (it ignored the frame and
 * handled none of it); undefined when unreadable or short.
 */
export function batchAcks(reply: Uint8Array, n: number): Ack[] | 'unrouted' | undefined {
  try {
    const { acks } = decodeBatchAck(reply);
    if (acks.length === n) return acks;
  } catch {
    // not a BatchAck: maybe a plain Ack
  }
  try {
    const ack = decodeAck(reply);
    if (ack.taken && !ack.error) return 'unrouted';
  } catch {
    // neither
  }
  return undefined;
}

export function encodeSessionRecord(r: SessionRecord): Uint8Array {
  return T.record.encode(sessionRecordToWire(r)).finish();
}

export function decodeSessionRecord(b: Uint8Array): SessionRecord {
  const r = sessionRecordFromWire(T.record.decode(asBuffer(b)) as unknown as SessionRecordWire);
  // Copied: records live long in caches, and a view would pin the whole received network chunk.
  if (r.lastPresence?.length) r.lastPresence = new Uint8Array(r.lastPresence);
  else delete r.lastPresence;
  return r;
}

/** The KV value of a service's declaration (libs/addressing). */
export function encodeServiceDeclaration(d: ServiceDeclaration): Uint8Array {
  return T.service.encode(serviceDeclarationToWire(d)).finish();
}

/** Fields a newer writer added are ignored; missing ones take their proto3 defaults. */
export function decodeServiceDeclaration(b: Uint8Array): ServiceDeclaration {
  return serviceDeclarationFromWire(T.service.decode(asBuffer(b)) as unknown as ServiceDeclarationWire);
}

/** media-relay's SOCKS5 proxy (XEP-0065): the KV value naming the replica that holds a stream. */
export function encodeSocks5Claim(c: Socks5Claim): Uint8Array {
  return T.socks5Claim.encode(socks5ClaimToWire(c)).finish();
}

export function decodeSocks5Claim(b: Uint8Array): Socks5Claim {
  return socks5ClaimFromWire(T.socks5Claim.decode(asBuffer(b)) as unknown as Socks5ClaimWire);
}

export function encodeSocks5Activation(a: Socks5Activation): Uint8Array {
  return T.socks5Activation.encode(socks5ActivationToWire(a)).finish();
}

export function decodeSocks5Activation(b: Uint8Array): Socks5Activation {
  return socks5ActivationFromWire(T.socks5Activation.decode(asBuffer(b)) as unknown as Socks5ActivationWire);
}

export function encodeSocks5ActivationResult(r: Socks5ActivationResult): Uint8Array {
  return T.socks5ActivationResult.encode(socks5ActivationResultToWire(r)).finish();
}

/** An outcome a newer writer added decodes as OUTCOME_UNSPECIFIED. */
export function decodeSocks5ActivationResult(b: Uint8Array): Socks5ActivationResult {
  return socks5ActivationResultFromWire(T.socks5ActivationResult.decode(asBuffer(b)) as unknown as Socks5ActivationResultWire);
}
