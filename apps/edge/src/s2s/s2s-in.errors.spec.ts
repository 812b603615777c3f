import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeFederationPki } from '#libs/federation';
import { listenS2s, s2sSide, type S2sSide } from './testing/s2s-pair.js';

/** Bad input from a would-be peer before TLS: a clear stream error, the connection closed, nothing routed. */
const dir = mkdtempSync(join(tmpdir(), 'glider-s2s-err-'));
const pki = makeFederationPki(dir);
let b: S2sSide;
let port = 0;
let close: () => void = () => {};
before(async () => {
  b = s2sSide('b.test', pki.issue('b.test'), pki.caPem, { mode: 'open', allow: [], deny: [] });
  const l = await listenS2s(b);
  port = l.port;
  close = () => l.server.close();
});
after(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `input`, returns everything the server wrote until it closed the connection. */
function exchange(input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
    socket.on('connect', () => socket.write(input));
  });
}

const header = (attrs: string) => `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0' ${attrs}>`;
const server = "xmlns='jabber:server'";

test('a client namespace on the s2s port → <invalid-namespace/>', async () => {
  assert.match(await exchange(header("xmlns='jabber:client' to='b.test' from='a.test'")), /<invalid-namespace xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
});

test("a header without 'from' → <invalid-from/>; to a domain not served → <host-unknown/>", async () => {
  assert.match(await exchange(header(`${server} to='b.test'`)), /<invalid-from /);
  assert.match(await exchange(header(`${server} to='elsewhere.test' from='a.test'`)), /<host-unknown /);
});

test('a stanza or SASL before STARTTLS → <not-authorized/>, and nothing reaches the router', async () => {
  const stanza = await exchange(header(`${server} to='b.test' from='a.test'`) + "<message from='x@a.test' to='y@b.test'><body>early</body></message>");
  assert.match(stanza, /<starttls xmlns=["']urn:ietf:params:xml:ns:xmpp-tls["']><required\/><\/starttls>/);
  assert.match(stanza, /<not-authorized /);
  const sasl = await exchange(header(`${server} to='b.test' from='a.test'`) + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>");
  assert.match(sasl, /<not-authorized /);
  assert.equal(b.received.length, 0);
  // no dialback is offered, so the header does not declare its namespace (servers read that as support)
  assert.doesNotMatch(stanza, /jabber:server:dialback/);
});

test('restricted XML (a DTD) and unknown elements end the stream with the RFC conditions', async () => {
  assert.match(await exchange("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>"), /<restricted-xml |<not-well-formed /);
  assert.match(await exchange(header(`${server} to='b.test' from='a.test'`) + '<nonsense/>'), /<unsupported-stanza-type /);
});
