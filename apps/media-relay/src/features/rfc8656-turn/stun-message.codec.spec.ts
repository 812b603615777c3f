import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeChannelData, encodeChannelData, nextFrame } from './channel-data.codec.js';
import { checkFingerprint, checkIntegrity, longTermKey, seal } from './integrity.js';
import { decodeErrorCode, decodeXorAddress, encodeErrorCode, encodeXorAddress } from './stun-attributes.js';
import { Attr, Class, decodeStun, encodeStun, getAttr, Method, unknownRequired } from './stun-message.codec.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 5769 §2 test vectors (IETF Trust, Simplified BSD licence), as printed in the RFC.
const SHORT_TERM_PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';
const REQUEST = hex(`00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74 00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36 00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2 80 28 00 04 e5 7a 3b cf`);
const IPV4_RESPONSE = hex(`01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20 00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7 80 28 00 04 c0 7d 4c 96`);
const IPV6_RESPONSE = hex(`01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41 80 28 00 04 c8 fb 0b 4c`);
const LONG_TERM = hex(`00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00 00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

describe('STUN codec against RFC 5769', () => {
  it('§2.1 sample request: attributes, MESSAGE-INTEGRITY (short-term) and FINGERPRINT', () => {
    const msg = decodeStun(REQUEST)!;
    assert.equal(msg.method, Method.Binding);
    assert.equal(msg.cls, Class.Request);
    assert.equal(getAttr(msg, Attr.Software)!.toString(), 'STUN test client');
    assert.equal(getAttr(msg, Attr.Username)!.toString(), 'evtj:h6vY');
    assert.equal(checkIntegrity(msg, Buffer.from(SHORT_TERM_PASSWORD)).result, 'valid');
    assert.equal(checkIntegrity(msg, Buffer.from('wrong')).result, 'invalid');
    assert.equal(checkFingerprint(msg), 'valid');
  });

  it('§2.2 and §2.3: XOR-MAPPED-ADDRESS over IPv4 and IPv6, encoded back byte for byte', () => {
    for (const [buf, mapped] of [
      [IPV4_RESPONSE, { family: 4, address: '192.0.2.1', port: 32853 }],
      [IPV6_RESPONSE, { family: 6, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }],
    ] as const) {
      const msg = decodeStun(buf)!;
      assert.equal(msg.cls, Class.Success);
      const value = getAttr(msg, Attr.XorMappedAddress)!;
      assert.deepEqual(decodeXorAddress(value, msg.transactionId), mapped);
      assert.deepEqual(encodeXorAddress(mapped, msg.transactionId), value);
      assert.equal(checkIntegrity(msg, Buffer.from(SHORT_TERM_PASSWORD)).result, 'valid');
      assert.equal(checkFingerprint(msg), 'valid');
    }
  });

  it('§2.4 long-term credentials: key MD5(user:realm:pass) and the same bytes re-encoded', () => {
    const msg = decodeStun(LONG_TERM)!;
    const username = 'マトリックス';
    assert.equal(getAttr(msg, Attr.Username)!.toString(), username);
    assert.equal(getAttr(msg, Attr.Realm)!.toString(), 'example.org');
    const key = longTermKey(username, 'example.org', 'TheMatrIX');
    assert.equal(checkIntegrity(msg, key).result, 'valid');
    assert.equal(checkIntegrity(msg, longTermKey(username, 'example.org', 'thematrix')).result, 'invalid');
    assert.equal(checkFingerprint(msg), 'absent');
    const again = encodeStun(Method.Binding, Class.Request, msg.transactionId, [
      { type: Attr.Username, value: username },
      { type: Attr.Nonce, value: 'f//499k954d6OL34oL9FSTvy64sA' },
      { type: Attr.Realm, value: 'example.org' },
    ]);
    assert.deepEqual(seal(again, { key }), LONG_TERM);
  });
});

describe('STUN codec', () => {
  it('round-trips TURN method/class bits, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT', () => {
    for (const [method, cls, type] of [
      [Method.Allocate, Class.Request, 0x0003],
      [Method.Allocate, Class.Error, 0x0113],
      [Method.Send, Class.Indication, 0x0016],
      [Method.Data, Class.Indication, 0x0017],
      [Method.ChannelBind, Class.Success, 0x0109],
    ] as const) {
      const key = randomBytes(16);
      for (const sha256 of [false, true]) {
        const buf = seal(encodeStun(method, cls, randomBytes(12), [{ type: Attr.Data, value: Buffer.from('abcde') }]), { key, sha256, fingerprint: true });
        assert.equal(buf.readUInt16BE(0), type);
        const msg = decodeStun(buf)!;
        assert.equal(msg.method, method);
        assert.equal(msg.cls, cls);
        assert.equal(getAttr(msg, Attr.Data)!.toString(), 'abcde');
        assert.deepEqual(checkIntegrity(msg, key), { result: 'valid', sha256 });
        assert.equal(checkFingerprint(msg), 'valid');
        const flipped = Buffer.from(buf);
        flipped[25]! ^= 1;
        assert.equal(checkIntegrity(decodeStun(flipped)!, key).result, 'invalid');
        assert.equal(checkFingerprint(decodeStun(flipped)!), 'invalid');
      }
    }
  });

  it('ignores attributes after MESSAGE-INTEGRITY and lists unknown comprehension-required ones', () => {
    const key = randomBytes(16);
    const signed = seal(encodeStun(Method.Allocate, Class.Request, randomBytes(12), [{ type: 0x7777, value: 'x' }]), { key });
    const extra = hex('0013 0004 01020304');
    const tampered = Buffer.concat([signed, extra]);
    tampered.writeUInt16BE(tampered.length - 20, 2);
    const msg = decodeStun(tampered)!;
    assert.equal(getAttr(msg, Attr.Data), undefined);
    assert.equal(checkIntegrity(msg, key).result, 'valid');
    assert.deepEqual(unknownRequired(msg), [0x7777]);
  });

  it('error codes and ChannelData framing', () => {
    assert.deepEqual(decodeErrorCode(encodeErrorCode(438, 'Stale Nonce')), { code: 438, reason: 'Stale Nonce' });
    assert.throws(() => encodeErrorCode(200, 'x'), RangeError);
    const padded = encodeChannelData(0x4001, Buffer.from('hello'), true);
    assert.equal(padded.length, 12);
    assert.deepEqual(decodeChannelData(padded), { channel: 0x4001, data: Buffer.from('hello') });
    assert.deepEqual(nextFrame(padded), { kind: 'frame', length: 12 });
    assert.equal(nextFrame(hex('7fff 0001')).kind, 'error');
    assert.equal(nextFrame(hex('8000 0001')).kind, 'error');
    assert.deepEqual(nextFrame(REQUEST.subarray(0, 6)), { kind: 'need' });
    assert.deepEqual(nextFrame(REQUEST), { kind: 'frame', length: REQUEST.length });
  });

  it('never throws on random, truncated or bit-flipped input', () => {
    const seeds = [REQUEST, IPV4_RESPONSE, IPV6_RESPONSE, LONG_TERM];
    for (let i = 0; i < 5000; i++) {
      const seed = seeds[i % seeds.length]!;
      let buf: Buffer;
      if (i % 3 === 0) buf = randomBytes(i % 97);
      else if (i % 3 === 1) buf = seed.subarray(0, i % seed.length);
      else {
        buf = Buffer.from(seed);
        buf[i % buf.length]! ^= 1 << (i % 8);
      }
      assert.doesNotThrow(() => {
        const msg = decodeStun(buf);
        if (msg) {
          checkIntegrity(msg, Buffer.from('k'));
          checkFingerprint(msg);
          for (const a of msg.attributes) decodeXorAddress(a.value, msg.transactionId);
        }
        decodeChannelData(buf);
        nextFrame(buf);
      });
    }
  });
});
