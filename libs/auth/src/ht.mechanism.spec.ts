import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HtMechanism, newToken, tokenKey } from './ht.mechanism.js';

/** The client's side as xmpp.js computes it (WebCrypto HMAC keyed with the token's own bytes). */
async function clientHmac(token: string, label: string, cb = Buffer.alloc(0)): Promise<Buffer> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(token), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return Buffer.from(await crypto.subtle.sign('HMAC', key, Buffer.concat([Buffer.from(label), cb])));
}

const ctx = (key: Buffer, bindings = {}, used: () => Promise<true> = async () => true) => ({
  domain: 'localhost',
  channelBindings: bindings,
  candidates: async (u: string) => (u === 'alice' ? [{ key, ref: 1 }] : []),
  used,
});

describe('HT-SHA-256 (draft-schmaus-kitten-sasl-ht-08, XEP-0484)', () => {
  it('verifies a client that keys HMAC with the token, holding only SHA-256(token) (RFC 2104 long-key rule)', async () => {
    const { token, key } = newToken();
    assert.ok(Buffer.byteLength(token) > 64);
    assert.deepEqual(key, tokenKey(token));
    const mech = new HtMechanism('HT-SHA-256-NONE', ctx(key));
    const step = await mech.step(Buffer.concat([Buffer.from('alice\0'), await clientHmac(token, 'Initiator')]));
    assert.equal(step.kind, 'success');
    assert.deepEqual(step.kind === 'success' && step.data, await clientHmac(token, 'Responder'));
  });

  it('appends the channel binding to both messages for -EXPR and fails without it', async () => {
    const { token, key } = newToken();
    const cb = Buffer.from('exporter-bytes');
    const ok = await new HtMechanism('HT-SHA-256-EXPR', ctx(key, { 'tls-exporter': cb })).step(
      Buffer.concat([Buffer.from('alice@localhost\0'), await clientHmac(token, 'Initiator', cb)]),
    );
    assert.deepEqual(ok.kind === 'success' && ok.data, await clientHmac(token, 'Responder', cb));
    const unbound = await new HtMechanism('HT-SHA-256-EXPR', ctx(key, { 'tls-exporter': cb })).step(
      Buffer.concat([Buffer.from('alice\0'), await clientHmac(token, 'Initiator')]),
    );
    assert.equal(unbound.kind === 'failure' && unbound.condition, 'not-authorized');
    const noChannel = await new HtMechanism('HT-SHA-256-ENDP', ctx(key, { 'tls-exporter': cb })).step(
      Buffer.concat([Buffer.from('alice\0'), await clientHmac(token, 'Initiator')]),
    );
    assert.equal(noChannel.kind === 'failure' && noChannel.condition, 'not-authorized');
  });

  it('refuses malformed messages, other domains, unknown users, and a second step', async () => {
    const { token, key } = newToken();
    const fail = async (input: Buffer) => {
      const s = await new HtMechanism('HT-SHA-256-NONE', ctx(key)).step(input);
      return s.kind === 'failure' ? s.condition : s.kind;
    };
    assert.equal(await fail(Buffer.from('alice')), 'malformed-request');
    assert.equal(await fail(Buffer.concat([Buffer.from('alice\0'), Buffer.alloc(31)])), 'malformed-request');
    assert.equal(await fail(Buffer.concat([Buffer.from([0xff, 0]), Buffer.alloc(32)])), 'incorrect-encoding');
    assert.equal(await fail(Buffer.concat([Buffer.from('alice@elsewhere\0'), await clientHmac(token, 'Initiator')])), 'not-authorized');
    assert.equal(await fail(Buffer.concat([Buffer.from('bob\0'), await clientHmac(token, 'Initiator')])), 'not-authorized');
    const mech = new HtMechanism('HT-SHA-256-NONE', ctx(key));
    await mech.step(Buffer.concat([Buffer.from('alice\0'), await clientHmac(token, 'Initiator')]));
    const again = await mech.step(Buffer.alloc(0));
    assert.equal(again.kind === 'failure' && again.condition, 'malformed-request');
  });
});
