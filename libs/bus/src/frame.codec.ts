/**
 * Protobuf codec for every bus message (proto/glider/bus/v1/bus.proto), loaded once at start-up.
 * The hot path encodes plain objects with prebuilt Types and decodes without copying `xml`: it is a
 * view into the received buffer, so copy it before keeping it for long (it pins that buffer).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type {
  Ack,
  EdgeControl,
  EdgeControlKind,
  Frame,
  LoadReport,
  SessionEvent,
  SessionEventKind,
  SessionRecord,
  SessionRef,
  StanzaEnvelope,
  StanzaKind,
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
};

interface EnumMap<N extends string> {
  toNum: Record<string, number>;
  toName: Record<number, N>;
}
function enumMap<N extends string>(name: string): EnumMap<N> {
  const e = root.lookupEnum(name);
  return { toNum: e.values, toName: e.valuesById as Record<number, N> };
}
const stanzaKinds = enumMap<StanzaKind>('glider.bus.v1.StanzaKind');
const sessionKinds = enumMap<SessionEventKind>('glider.bus.v1.SessionEvent.Kind');
const controlKinds = enumMap<EdgeControlKind>('glider.bus.v1.EdgeControl.Kind');

// protobufjs decodes int64 as Long when the `long` package is present.
type Int64 = number | { toNumber(): number };
const num = (v: Int64 | undefined | null): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function refOut(r: any): SessionRef | undefined {
  return r ? { edgeId: r.edgeId, sessionId: r.sessionId } : undefined;
}

function stanzaIn(s: StanzaEnvelope): object {
  return { ...s, kind: stanzaKinds.toNum[s.kind] ?? 0 };
}

function stanzaOut(m: any): StanzaEnvelope {
  const out: StanzaEnvelope = {
    from: m.from,
    to: m.to,
    kind: stanzaKinds.toName[m.kind] ?? 'STANZA_KIND_UNSPECIFIED',
    type: m.type,
    id: m.id,
    xml: m.xml,
    hops: m.hops,
  };
  if (m.traceparent) out.traceparent = m.traceparent;
  if (m.tracestate) out.tracestate = m.tracestate;
  if (m.origin) out.origin = refOut(m.origin);
  if (m.target) out.target = refOut(m.target);
  if (m.ackWhenWritten) out.ackWhenWritten = true;
  return out;
}

function sessionOut(m: any): SessionEvent {
  const out: SessionEvent = { kind: sessionKinds.toName[m.kind] ?? 'KIND_UNSPECIFIED', jid: m.jid, wasAvailable: m.wasAvailable };
  if (m.session) out.session = refOut(m.session);
  if (m.status) out.status = m.status;
  return out;
}

function controlOut(m: any): EdgeControl {
  return { kind: controlKinds.toName[m.kind] ?? 'KIND_UNSPECIFIED', sessionId: m.sessionId, condition: m.condition, text: m.text };
}

function loadOut(m: any): LoadReport {
  return {
    component: m.component,
    instance: m.instance,
    connections: m.connections,
    stanzasPerSecond: m.stanzasPerSecond,
    atMs: num(m.atMs),
    draining: m.draining,
  };
}

export function encodeFrame(f: Frame): Uint8Array {
  let body: object;
  if (f.stanza) body = { stanza: stanzaIn(f.stanza) };
  else if (f.session) body = { session: { ...f.session, kind: sessionKinds.toNum[f.session.kind] ?? 0 } };
  else if (f.control) body = { control: { ...f.control, kind: controlKinds.toNum[f.control.kind] ?? 0 } };
  else if (f.load) body = { load: f.load };
  else body = {};
  return T.frame.encode(body).finish();
}

export function decodeFrame(b: Uint8Array): Frame {
  const m: any = T.frame.decode(asBuffer(b));
  switch (m.body) {
    case 'stanza':
      return { stanza: stanzaOut(m.stanza) };
    case 'session':
      return { session: sessionOut(m.session) };
    case 'control':
      return { control: controlOut(m.control) };
    case 'load':
      return { load: loadOut(m.load) };
    default:
      return {};
  }
}

export function encodeAck(a: Ack): Uint8Array {
  return T.ack.encode(a).finish();
}

export function decodeAck(b: Uint8Array): Ack {
  const m: any = T.ack.decode(asBuffer(b));
  return m.error ? { taken: m.taken, error: m.error } : { taken: m.taken };
}

export function encodeSessionRecord(r: SessionRecord): Uint8Array {
  return T.record.encode(r).finish();
}

export function decodeSessionRecord(b: Uint8Array): SessionRecord {
  const m: any = T.record.decode(asBuffer(b));
  const out: SessionRecord = {
    jid: m.jid,
    priority: m.priority,
    available: m.available,
    interested: m.interested,
    boundAtMs: num(m.boundAtMs),
  };
  if (m.session) out.session = refOut(m.session);
  // Copied: records live long in caches, and a view would pin the whole received network chunk.
  if (m.lastPresence && m.lastPresence.length > 0) out.lastPresence = new Uint8Array(m.lastPresence);
  return out;
}
