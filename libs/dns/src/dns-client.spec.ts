import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { startValidatingResolver, type ValidatingResolver } from '#libs/testing';
import { DnsClient, type DnsClientOptions } from './dns-client.js';
import { DnsFormatError, RR } from './dns-message.js';

const TLSA_A = 'A'.repeat(64);
const TLSA_B = 'B'.repeat(64);

/**
 * The client against a real validating resolver (unbound with a zone signed by ldns-signzone,
 * libs/testing unbound.ts): the AD bit for signed data, SERVFAIL for a record changed after
 * signing, no AD for an unsigned zone, TCP after a truncated UDP answer; and against a hostile
 * "resolver" that answers garbage.
 */
describe('DnsClient over a real DNSSEC-validating resolver (unbound)', () => {
  let unbound: ValidatingResolver;
  const opts = (over: Partial<DnsClientOptions> = {}): DnsClientOptions => ({
    resolver: unbound.address,
    timeoutMs: 2000,
    tries: 2,
    udpPayloadBytes: 1232,
    maxResponseBytes: 16_384,
    maxRecords: 64,
    ...over,
  });

  before(async () => {
    unbound = await startValidatingResolver({
      signed: {
        name: 'signed.test',
        records: [
          'xmpp IN A 127.0.0.7',
          '_5269._tcp.xmpp IN TLSA 3 1 1 ' + TLSA_A,
          '_5269._tcp.broken IN TLSA 3 1 1 ' + TLSA_A,
          'alias IN CNAME xmpp',
          // 24 SHA-512 TLSA records: ~2 kB, more than a 512-byte UDP answer holds
          ...Array.from({ length: 24 }, (_, i) => `_5269._tcp.many IN TLSA 3 1 2 ${i.toString(16).padStart(2, '0')}${'C'.repeat(126)}`),
        ],
      },
      // changed after signing: its RRSIG no longer verifies (bogus)
      tamper: (zone) => zone.replace(/(_5269\._tcp\.broken\.signed\.test\.\s+\d+\s+IN\s+TLSA\s+3 1 1 )[0-9a-fA-F]+/, `$1${TLSA_B}`),
      insecure: [{ name: 'plain.test', records: ['xmpp IN A 127.0.0.8'] }],
    });
  });
  after(async () => unbound?.stop());

  it('signed data comes with AD; a TLSA record is read as published', async () => {
    const client = new DnsClient(opts());
    const a = await client.query('xmpp.signed.test', RR.A);
    assert.deepEqual([a.rcode, a.secure], [0, true]);
    assert.deepEqual(
      a.records.map((r) => ('address' in r ? r.address : undefined)),
      ['127.0.0.7'],
    );
    const tlsa = await client.query('_5269._tcp.xmpp.signed.test', RR.TLSA);
    assert.equal(tlsa.secure, true);
    const [r] = tlsa.records;
    assert.ok(r && 'usage' in r);
    assert.deepEqual([r.usage, r.selector, r.matching, r.data.toString('hex').toUpperCase()], [3, 1, 1, TLSA_A]);
  });

  it('the resolver may be named by host name (a cluster Service): UDP and TCP reach it', async () => {
    const client = new DnsClient(opts({ resolver: `localhost:${unbound.port}`, udpPayloadBytes: 512 }));
    assert.equal((await client.query('xmpp.signed.test', RR.A)).secure, true);
    assert.equal((await client.query('_5269._tcp.many.signed.test', RR.TLSA)).records.length, 24);
  });

  it('a CNAME is followed to the records it names, still secure', async () => {
    const a = await new DnsClient(opts()).query('alias.signed.test', RR.A);
    assert.equal(a.secure, true);
    assert.deepEqual(
      a.records.map((r) => ('address' in r ? r.address : undefined)),
      ['127.0.0.7'],
    );
  });

  it('a name the signed zone does not have: NXDOMAIN with AD (a proof of absence)', async () => {
    const none = await new DnsClient(opts()).query('_5269._tcp.nothing.signed.test', RR.TLSA);
    assert.deepEqual([none.rcode, none.secure, none.records.length], [3, true, 0]);
  });

  it('a record changed after signing: SERVFAIL from the validator, no data', async () => {
    const bogus = await new DnsClient(opts()).query('_5269._tcp.broken.signed.test', RR.TLSA);
    assert.deepEqual([bogus.rcode, bogus.secure, bogus.records.length], [2, false, 0]);
    assert.match(unbound.log(), /validation failure <_5269\._tcp\.broken\.signed\.test\. TLSA IN>/);
  });

  it('an unsigned zone answers without AD', async () => {
    const a = await new DnsClient(opts()).query('xmpp.plain.test', RR.A);
    assert.deepEqual([a.rcode, a.secure, a.records.length], [0, false, 1]);
  });

  it('an answer too big for 512 bytes of UDP is truncated, and read again over TCP', async () => {
    const many = await new DnsClient(opts({ udpPayloadBytes: 512 })).query('_5269._tcp.many.signed.test', RR.TLSA);
    assert.deepEqual([many.secure, many.records.length], [true, 24]);
    // the TCP answer is bounded too
    await assert.rejects(new DnsClient(opts({ udpPayloadBytes: 512, maxResponseBytes: 1024 })).query('_5269._tcp.many.signed.test', RR.TLSA), DnsFormatError);
  });
});

describe('DnsClient against a hostile resolver', () => {
  let socket: Socket;
  let mode: 'garbage' | 'wrong-id' | 'silent' = 'garbage';
  let port = 0;

  before(async () => {
    socket = createSocket('udp4');
    socket.on('message', (msg, from) => {
      if (mode === 'silent') return;
      const reply = Buffer.from(msg);
      if (mode === 'wrong-id') reply.writeUInt16BE(reply.readUInt16BE(0) ^ 1, 0);
      else reply.writeUInt16BE(0x8180, 2); // the query echoed as a response, then cut inside its question
      socket.send(mode === 'garbage' ? reply.subarray(0, 20) : reply, from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
  });
  after(() => socket.close());

  const client = () => new DnsClient({ resolver: `127.0.0.1:${port}`, timeoutMs: 300, tries: 2, udpPayloadBytes: 1232, maxResponseBytes: 4096, maxRecords: 8 });

  it('a truncated message is a DnsFormatError (the query fails; nothing crashes)', async () => {
    mode = 'garbage';
    await assert.rejects(client().query('x.test', RR.A), DnsFormatError);
  });

  it('answers to another id are ignored; the query times out after its tries', async () => {
    mode = 'wrong-id';
    await assert.rejects(client().query('x.test', RR.A), /did not answer x\.test in 300 ms/);
    mode = 'silent';
    await assert.rejects(client().query('x.test', RR.A), /did not answer/);
  });

  it('a resolver setting that is not host:port is refused up front', () => {
    assert.throws(
      () => new DnsClient({ resolver: '127.0.0.1', timeoutMs: 1, tries: 1, udpPayloadBytes: 512, maxResponseBytes: 512, maxRecords: 1 }),
      /host:port/,
    );
  });
});
