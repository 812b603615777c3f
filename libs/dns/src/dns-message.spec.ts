import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResponse, DnsFormatError, encodeName, encodeQuery, readName, RR } from './dns-message.js';

/** A response built by hand (RFC 1035 §4.1): header, the question, answers whose owner points at the question (0xc00c). */
function response(opts: { flags?: number; qname?: string; qtype?: number; answers?: { type: number; rdata: Buffer; owner?: Buffer }[] }): Buffer {
  const answers = opts.answers ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x1234, 0);
  header.writeUInt16BE(opts.flags ?? 0x81a0, 2); // QR RD RA AD
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const q = Buffer.concat([encodeName(opts.qname ?? 'xmpp.example.test'), Buffer.from([0, opts.qtype ?? RR.A, 0, 1])]);
  const rrs = answers.map((a) => {
    const head = Buffer.alloc(10);
    head.writeUInt16BE(a.type, 0);
    head.writeUInt16BE(1, 2);
    head.writeUInt32BE(300, 4);
    head.writeUInt16BE(a.rdata.length, 8);
    return Buffer.concat([a.owner ?? Buffer.from([0xc0, 0x0c]), head, a.rdata]);
  });
  return Buffer.concat([header, q, ...rrs]);
}

describe('DNS messages (RFC 1035 §4, EDNS0 RFC 6891, DO RFC 3225)', () => {
  it('a query: id, RD and AD set, one question, one OPT record with the payload size and the DO bit', () => {
    const q = encodeQuery('_5269._tcp.xmpp.example.test', RR.TLSA, { id: 0xbeef, udpPayloadBytes: 1232 });
    assert.equal(q.readUInt16BE(0), 0xbeef);
    assert.equal(q.readUInt16BE(2), 0x0120);
    assert.deepEqual([q.readUInt16BE(4), q.readUInt16BE(6), q.readUInt16BE(8), q.readUInt16BE(10)], [1, 0, 0, 1]);
    const name = readName(q, 12);
    assert.equal(name.name, '_5269._tcp.xmpp.example.test');
    assert.equal(q.readUInt16BE(name.end), 52);
    const opt = q.subarray(name.end + 4);
    assert.deepEqual([...opt], [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
  });

  it('reads A, AAAA, SRV (target compressed), TLSA and CNAME records, the AD bit and the RCODE', () => {
    const srvRdata = Buffer.concat([Buffer.from([0, 5, 0, 10, 0x14, 0x95]), Buffer.from([4, ...Buffer.from('xmpp'), 0xc0, 0x0c])]);
    const tlsa = Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 0xab)]);
    const v6 = Buffer.from('20010db8000000000000000000000001', 'hex');
    const res = decodeResponse(
      response({
        qname: 'Example.TEST',
        answers: [
          { type: RR.A, rdata: Buffer.from([192, 0, 2, 7]) },
          { type: RR.AAAA, rdata: v6 },
          { type: RR.SRV, rdata: srvRdata },
          { type: RR.TLSA, rdata: tlsa },
          { type: RR.CNAME, rdata: Buffer.from([5, ...Buffer.from('alias'), 0xc0, 0x0c]) },
        ],
      }),
      64,
    );
    assert.equal(res.authenticData, true);
    assert.equal(res.rcode, 0);
    assert.deepEqual(res.question, { name: 'example.test', type: RR.A });
    assert.deepEqual(
      res.answers.map((r) => ({ ...r, ttl: undefined })),
      [
        { name: 'example.test', type: RR.A, ttl: undefined, address: '192.0.2.7' },
        { name: 'example.test', type: RR.AAAA, ttl: undefined, address: '2001:db8:0:0:0:0:0:1' },
        { name: 'example.test', type: RR.SRV, ttl: undefined, priority: 5, weight: 10, port: 5269, target: 'xmpp.example.test' },
        { name: 'example.test', type: RR.TLSA, ttl: undefined, usage: 3, selector: 1, matching: 1, data: Buffer.alloc(32, 0xab) },
        { name: 'example.test', type: RR.CNAME, ttl: undefined, target: 'alias.example.test' },
      ],
    );
    const servfail = decodeResponse(response({ flags: 0x8182 }), 64);
    assert.deepEqual([servfail.rcode, servfail.authenticData, servfail.truncated], [2, false, false]);
    assert.equal(decodeResponse(response({ flags: 0x8380 }), 64).truncated, true);
  });

  it('every truncation of a valid answer is a DnsFormatError, never another exception', () => {
    const full = response({
      answers: [
        { type: RR.SRV, rdata: Buffer.concat([Buffer.from([0, 0, 0, 0, 0x14, 0x95]), Buffer.from([0xc0, 0x0c])]) },
        { type: RR.TLSA, rdata: Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 1)]) },
      ],
    });
    for (let n = 0; n < full.length; n++) assert.throws(() => decodeResponse(full.subarray(0, n), 64), DnsFormatError, `cut at ${n}`);
    assert.equal(decodeResponse(full, 64).answers.length, 2);
  });

  it('hostile answers: pointer loops, forward pointers, over-long names, bad lengths, too many records — DnsFormatError', () => {
    const cases: [string, Buffer][] = [
      // the answer's owner (at offset 35 = 0x23) points at itself
      ['self pointer', response({ answers: [{ type: RR.A, rdata: Buffer.from([1, 2, 3, 4]), owner: Buffer.from([0xc0, 0x23]) }] })],
      // a pointer forward, past the end
      ['forward pointer', response({ answers: [{ type: RR.A, rdata: Buffer.from([1, 2, 3, 4]), owner: Buffer.from([0xc0, 0xff]) }] })],
      ['A of 5 octets', response({ answers: [{ type: RR.A, rdata: Buffer.from([1, 2, 3, 4, 5]) }] })],
      ['AAAA of 4 octets', response({ answers: [{ type: RR.AAAA, rdata: Buffer.from([1, 2, 3, 4]) }] })],
      ['SRV of 3 octets', response({ answers: [{ type: RR.SRV, rdata: Buffer.from([1, 2, 3]) }] })],
      ['TLSA of 2 octets', response({ answers: [{ type: RR.TLSA, rdata: Buffer.from([3, 1]) }] })],
      ['SRV target past its RDATA', response({ answers: [{ type: RR.SRV, rdata: Buffer.from([0, 0, 0, 0, 0, 1, 4, 0x61]) }] })],
      ['label type 0x40', response({ answers: [{ type: RR.A, rdata: Buffer.from([1, 2, 3, 4]), owner: Buffer.from([0x41, 0]) }] })],
      ['a query, not a response', Buffer.from(response({}).map((b, i) => (i === 2 ? b & 0x7f : b)))],
    ];
    // a name of 300 octets through 5 labels of 59 and compression
    const long = Buffer.concat([...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([59]), Buffer.alloc(59, 0x61)])), Buffer.from([0xc0, 0x0c])]);
    cases.push(['name over 255 octets', response({ answers: [{ type: RR.A, rdata: Buffer.from([1, 2, 3, 4]), owner: long }] })]);
    for (const [what, msg] of cases) assert.throws(() => decodeResponse(msg, 64), DnsFormatError, what);
    const many = response({ answers: Array.from({ length: 5 }, () => ({ type: RR.A, rdata: Buffer.from([1, 2, 3, 4]) })) });
    assert.throws(() => decodeResponse(many, 4), /5 answer records \(limit 4\)/);
  });

  it('random corruption of a valid answer (2,000 seeded mutations) only ever yields a result or a DnsFormatError', () => {
    const base = response({
      answers: [
        { type: RR.SRV, rdata: Buffer.concat([Buffer.from([0, 1, 0, 1, 0x14, 0x95]), Buffer.from([4, 0x78, 0x6d, 0x70, 0x70, 0xc0, 0x0c])]) },
        { type: RR.TLSA, rdata: Buffer.concat([Buffer.from([3, 1, 1]), Buffer.alloc(32, 7)]) },
        { type: RR.CNAME, rdata: Buffer.from([0xc0, 0x0c]) },
      ],
    });
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    let decoded = 0;
    for (let i = 0; i < 2000; i++) {
      const msg = Buffer.from(base);
      for (let k = 0; k < 1 + rand(4); k++) msg[12 + rand(msg.length - 12)] = rand(256);
      try {
        decodeResponse(msg, 64);
        decoded++;
      } catch (err) {
        assert.ok(err instanceof DnsFormatError, `mutation ${i}: ${(err as Error).stack}`);
      }
    }
    assert.ok(decoded > 0 && decoded < 2000, `some mutations still decode, some do not (${decoded})`);
  });

  it('refuses to encode a name with an empty or over-long label', () => {
    assert.throws(() => encodeName('a..b'), DnsFormatError);
    assert.throws(() => encodeName(`${'a'.repeat(64)}.test`), DnsFormatError);
    assert.deepEqual([...encodeName('.')], [0]);
  });
});
