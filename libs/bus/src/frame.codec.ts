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
import {
  ackFromWire,
  ackToWire,
  frameFromWire,
  frameToWire,
  serviceDeclarationFromWire,
  serviceDeclarationToWire,
  sessionRecordFromWire,
  sessionRecordToWire,
  type Ack,
  type AckWire,
  type Frame,
  type FrameWire,
  type ServiceDeclaration,
  type ServiceDeclarationWire,
  type SessionRecord,
  type SessionRecordWire,
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
  record: root.lookupType('glider.bus.v1.SessionRecord'),
  service: root.lookupType('glider.bus.v1.ServiceDeclaration'),
};

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function encodeFrame(f: Frame): Uint8Array {
  return T.frame.encode(frameToWire(f)).finish();
}

export function decodeFrame(b: Uint8Array): Frame {
  return frameFromWire(T.frame.decode(asBuffer(b)) as unknown as FrameWire);
}

export function encodeAck(a: Ack): Uint8Array {
  return T.ack.encode(ackToWire(a)).finish();
}

export function decodeAck(b: Uint8Array): Ack {
  return ackFromWire(T.ack.decode(asBuffer(b)) as unknown as AckWire);
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
