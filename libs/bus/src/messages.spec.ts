import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import {
  busProtoPath,
  decodeAck,
  decodeFrame,
  decodeSessionRecord,
  decodeSocks5Activation,
  decodeSocks5ActivationResult,
  decodeSocks5Claim,
  encodeAck,
  encodeFrame,
  encodeSessionRecord,
  encodeSocks5Activation,
  encodeSocks5ActivationResult,
  encodeSocks5Claim,
  packageRoot,
} from './frame.codec.js';
import type { Ack, Frame, SessionRecord, Socks5Activation, Socks5ActivationResult, Socks5Claim } from './messages.js';

interface ProtoGen {
  generate(protoSource: string, protoPath?: string): Promise<string>;
}

test('messages.ts is what bus.proto generates (else: npm run proto, and commit it)', async () => {
  const root = packageRoot();
  const gen = (await import(pathToFileURL(join(root, 'scripts', 'proto-gen.mjs')).href)) as ProtoGen;
  const expected = await gen.generate(readFileSync(busProtoPath(), 'utf8'));
  const committed = readFileSync(join(root, 'libs', 'bus', 'src', 'messages.ts'), 'utf8');
  assert.ok(committed === expected, 'libs/bus/src/messages.ts is stale relative to proto/glider/bus/v1/bus.proto: run `npm run proto`');
});

// A value for every field of a message, none of them the proto3 default, read from bus.proto itself:
// a field added there and lost on the way through the codec fails this test.
const reflection = protobuf.loadSync(busProtoPath());

function sample(type: protobuf.Type): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of type.fieldsArray) {
    if (f.partOf && !f.options?.['proto3_optional']) continue; // a real oneof: one member at a time, below
    const one = valueOf(f);
    out[f.name] = f.repeated ? [one, one] : one;
  }
  return out;
}

function valueOf(f: protobuf.Field): unknown {
  const t = f.resolve().resolvedType;
  if (t instanceof protobuf.Type) return sample(t);
  if (t instanceof protobuf.Enum) return Object.keys(t.values).at(-1);
  switch (f.type) {
    case 'string':
      return `${f.name}-value`;
    case 'bytes':
      return new Uint8Array([1, 2, 3]);
    case 'bool':
      return true;
    case 'double':
    case 'float':
      return 2.5;
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return 1_790_000_000_123;
    default:
      return 7;
  }
}

/** Byte arrays compared by content: decoded bytes are Buffer views, the sample's plain Uint8Arrays. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

test('every field of every bus message survives the codec', () => {
  const frame = reflection.lookupType('glider.bus.v1.Frame');
  const bodies = frame.oneofsArray.find((o) => o.name === 'body');
  assert.ok(bodies && bodies.fieldsArray.length > 0);
  for (const member of bodies.fieldsArray) {
    const f = { [member.name]: sample(member.resolve().resolvedType as protobuf.Type) } as Frame;
    assert.deepEqual(plain(decodeFrame(encodeFrame(f))), plain(f), `Frame.${member.name}`);
  }
  const ack = sample(reflection.lookupType('glider.bus.v1.Ack')) as unknown as Ack;
  assert.deepEqual(decodeAck(encodeAck(ack)), ack);
  const record = sample(reflection.lookupType('glider.bus.v1.SessionRecord')) as unknown as SessionRecord;
  assert.deepEqual(plain(decodeSessionRecord(encodeSessionRecord(record))), plain(record));
  const claim = sample(reflection.lookupType('glider.bus.v1.Socks5Claim')) as unknown as Socks5Claim;
  assert.deepEqual(decodeSocks5Claim(encodeSocks5Claim(claim)), claim);
  const activation = sample(reflection.lookupType('glider.bus.v1.Socks5Activation')) as unknown as Socks5Activation;
  assert.deepEqual(decodeSocks5Activation(encodeSocks5Activation(activation)), activation);
  const result = sample(reflection.lookupType('glider.bus.v1.Socks5ActivationResult')) as unknown as Socks5ActivationResult;
  assert.deepEqual(decodeSocks5ActivationResult(encodeSocks5ActivationResult(result)), result);
});

test('optional fields left out stay out, required ones come back as proto3 defaults', () => {
  const back = decodeFrame(encodeFrame({ stanza: { from: '', to: 'b@x', kind: 'IQ', type: '', id: '', xml: new Uint8Array() } }));
  assert.deepEqual(plain(back), { stanza: { from: '', to: 'b@x', kind: 'IQ', type: '', id: '', xml: [] } });
  assert.deepEqual(decodeFrame(encodeFrame({ control: { kind: 'DRAIN' } })), { control: { kind: 'DRAIN' } });
  assert.deepEqual(decodeFrame(encodeFrame({ load: { component: 'edge', instance: 'e' } })), { load: { component: 'edge', instance: 'e' } });
  assert.deepEqual(decodeFrame(encodeFrame({ load: { component: 'edge', instance: 'e', atMs: 0 } })), { load: { component: 'edge', instance: 'e', atMs: 0 } });
});

test("every message's …Copy gives what its wire mapping gives, and shares no object with what it copied", async () => {
  const messages = (await import('./messages.js')) as unknown as Record<string, (v: unknown) => unknown>;
  const fn = (t: protobuf.Type, suffix: string) => {
    const name = t.fullName.replace(/^\.glider\.bus\.v1\./, '').replace(/\./g, '');
    const f = messages[`${name[0]!.toLowerCase()}${name.slice(1)}${suffix}`];
    assert.ok(f, `${name}${suffix} is generated`);
    return f;
  };
  const types: protobuf.Type[] = [];
  const collect = (ns: protobuf.NamespaceBase) => {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) types.push(n);
      if (n instanceof protobuf.Namespace) collect(n);
    }
  };
  collect(reflection.lookup('glider.bus.v1') as protobuf.Namespace);
  assert.ok(types.length > 10);
  const objects = (v: unknown, out: object[] = []): object[] => {
    if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
      out.push(v);
      for (const x of Object.values(v)) objects(x, out);
    }
    return out;
  };
  for (const t of types) {
    const [copy, toWire, fromWire] = [fn(t, 'Copy'), fn(t, 'ToWire'), fn(t, 'FromWire')];
    // a real oneof: each member alone (the mapping's body key named as protobufjs names it on decode)
    const oneof = t.oneofsArray.find((o) => !o.fieldsArray[0]!.options?.['proto3_optional']);
    const values = oneof ? oneof.fieldsArray.map((m) => ({ ...sample(t), [m.name]: valueOf(m) })) : [sample(t)];
    for (const v of values) {
      const w = toWire(v) as Record<string, unknown>;
      const viaWire = fromWire(oneof ? { ...w, [oneof.name]: oneof.fieldsArray.find((m) => w[m.name] != null)!.name } : w);
      const c = copy(v);
      assert.deepEqual(c, viaWire, `${t.name}Copy`);
      const mine = new Set(objects(v));
      assert.ok(!objects(c).some((o) => mine.has(o)), `${t.name}Copy shares no object with its input`);
    }
  }
});
