import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attr, Splitter, tagName } from './splitter.js';

function collect(chunks: string[]) {
  const out: string[] = [];
  let header = '';
  let ended = false;
  const s = new Splitter({
    onStreamStart: (t) => (header = t),
    onElement: (x) => out.push(x),
    onStreamEnd: () => (ended = true),
  });
  for (const c of chunks) s.push(c);
  return { out, header, ended };
}

const stream =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='a>b' version='1.0'>" +
  "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>" +
  "<message from='a@b/c' id='x/1'><body>1 &gt; 0 <![CDATA[<b>]]></body></message><presence/></stream:stream>";

test('splits a stream into its header and top-level elements', () => {
  const { out, header, ended } = collect([stream]);
  assert.match(header, /^<stream:stream /);
  assert.equal(out.length, 3);
  assert.match(out[0]!, /^<stream:features>.*<\/stream:features>$/);
  assert.equal(out[2], '<presence/>');
  assert.equal(ended, true);
});

test('gives the same elements whatever the chunking', () => {
  const whole = collect([stream]).out;
  for (const size of [1, 2, 3, 7, 64]) {
    const chunks: string[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
    assert.deepEqual(collect(chunks).out, whole, `chunk size ${size}`);
  }
});

test('reads attributes and tag names', () => {
  const m = "<message xmlns='jabber:client' from=\"a@b/c\" id='b.1.2'><body/></message>";
  assert.equal(tagName(m), 'message');
  assert.equal(attr(m, 'from'), 'a@b/c');
  assert.equal(attr(m, 'id'), 'b.1.2');
  assert.equal(attr(m, 'type'), undefined);
});
