import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElement, reparseLimits, StreamParser, XmlParseError, type XmlLimits } from './index.js';

// Seeded mutations of a valid stream: whatever arrives, the parser must answer with elements or one
// error condition, never an exception, and never hand out an element over the limits.
const limits: XmlLimits = { maxStanzaBytes: 600, maxDepth: 5, maxAttributes: 6, maxAttributeBytes: 64, maxNameBytes: 24 };
const reparsed = reparseLimits(limits);
const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>";
const BODY =
  "<message to='a@b' id=\"x&amp;y\"><body>h\u00e9llo &lt;&#x1F600;&#65;</body><x:e xmlns:x='urn:x' x:a='1'/></message> \n" +
  "<iq type='get' id='1'><query xmlns='jabber:iq:roster'><![CDATA[<raw>]]></query></iq><presence/></stream:stream>";
const NOISE = [
  '<',
  '>',
  '&',
  ';',
  "'",
  '"',
  '/',
  '!',
  '?',
  '[',
  ']',
  '=',
  ':',
  ' ',
  '\u0000',
  '\u00e9',
  '\u{1F600}',
  '#',
  'x',
  '-',
  '<!--',
  ']]>',
  '&#0;',
  '&#x110000;',
];

function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * out.length);
    const r = random();
    if (r < 0.4) out = out.slice(0, at) + NOISE[Math.floor(random() * NOISE.length)] + out.slice(at);
    else if (r < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(random() * 3));
    else out = out.slice(0, at) + out.slice(at, at + 20).repeat(2 + Math.floor(random() * 40)) + out.slice(at + 20);
  }
  return out;
}

describe('parser fuzzing (seeded)', () => {
  it('StreamParser: elements or one error, never an exception or an oversized element', () => {
    const random = prng(7);
    for (let round = 0; round < 400; round++) {
      const bytes = Buffer.from(mutate(HEADER + BODY, random));
      const parser = new StreamParser({ limits });
      let errors = 0;
      parser.onElement = (el, size) => {
        assert.ok(size <= limits.maxStanzaBytes, `round ${round}: size ${size}`);
        assert.equal(el.parent, undefined);
        assert.doesNotThrow(() => parseElement(el.toString(), reparsed), `round ${round}: re-parse ${el.toString()}`);
      };
      parser.onError = () => errors++;
      for (let i = 0; i < bytes.length;) {
        const n = 1 + Math.floor(random() * 40);
        parser.write(bytes.subarray(i, i + n));
        i += n;
      }
      assert.ok(errors <= 1, `round ${round}`);
    }
  });

  it('StreamParser: chunking never changes which elements come out, or whether it fails', () => {
    const random = prng(3);
    const outcome = (chunks: Buffer[]) => {
      const parser = new StreamParser({ limits });
      const out: string[] = [];
      parser.onElement = (el, size) => out.push(`${size} ${el.toString()}`);
      parser.onStreamEnd = () => out.push('end');
      parser.onError = () => out.push('error');
      for (const c of chunks) parser.write(c);
      return out;
    };
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(mutate(HEADER + BODY, random));
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length;) {
        const n = 1 + Math.floor(random() * 16);
        chunks.push(bytes.subarray(i, i + n));
        i += n;
      }
      assert.deepEqual(outcome(chunks), outcome([bytes]), `round ${round}: ${bytes.toString()}`);
    }
  });

  it('parseElement: an element or an XmlParseError', () => {
    const random = prng(11);
    const frame = "<message xmlns='jabber:client' to='a@b'><body>x &amp; y</body><x:e xmlns:x='urn:x'/></message>";
    for (let round = 0; round < 400; round++) {
      const text = mutate(frame, random);
      try {
        const el = parseElement(text, limits);
        assert.equal(parseElement(el.toString(), reparsed).toString(), el.toString(), `round ${round}`);
      } catch (err) {
        assert.ok(err instanceof XmlParseError, `round ${round}: ${String(err)}`);
      }
    }
  });
});
