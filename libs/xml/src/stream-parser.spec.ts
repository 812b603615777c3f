import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { XmlErrorCondition, XmlLimits } from './index.js';
import { StreamParser } from './index.js';

const limits: XmlLimits = { maxStanzaBytes: 4096, maxDepth: 8, maxAttributes: 8, maxAttributeBytes: 256, maxNameBytes: 64 };
const HEADER = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

type Event = ['start', string, Record<string, string>] | ['el', string, number] | ['end'] | ['error', XmlErrorCondition, string];

function run(chunks: (string | Buffer)[], l: XmlLimits = limits): { events: Event[]; parser: StreamParser } {
  const events: Event[] = [];
  const parser = new StreamParser({ limits: l });
  parser.onStreamStart = (name, attrs) => events.push(['start', name, { ...attrs }]);
  parser.onElement = (el, size) => {
    assert.equal(el.parent, undefined);
    events.push(['el', el.toString(), size]);
  };
  parser.onStreamEnd = () => events.push(['end']);
  parser.onError = (condition, text) => events.push(['error', condition, text]);
  for (const c of chunks) parser.write(c);
  return { events, parser };
}

function elements(events: Event[]): string[] {
  return events.filter((e) => e[0] === 'el').map((e) => e[1]);
}

function errorOf(...chunks: string[]): XmlErrorCondition | undefined {
  const errors = run(chunks).events.filter((e) => e[0] === 'error');
  assert.ok(errors.length <= 1, 'onError fires once');
  return errors[0]?.[1];
}

describe('StreamParser', () => {
  it('a second stream header inside the open stream is invalid-xml at its start tag; after reset() it is a new stream', () => {
    assert.equal(errorOf(HEADER, '<presence/>', HEADER), 'invalid-xml');
    assert.equal(errorOf(HEADER, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>"), 'invalid-xml');
    assert.equal(errorOf(HEADER, '<message><stream:stream/></message>'), undefined, 'deeper down it is only content');
    const { events, parser } = run([HEADER]);
    parser.reset();
    parser.write(HEADER);
    assert.deepEqual(
      events.map((e) => e[0]),
      ['start', 'start'],
    );
  });

  it('reads the stream header, stanzas with their byte size, and the end', () => {
    const msg = "<message to='juliet@example.com' id='a1'><body>hi</body></message>";
    const { events } = run([`<?xml version='1.0' encoding='UTF-8'?>${HEADER}${msg}<presence/></stream:stream>`]);
    assert.deepEqual(events, [
      ['start', 'stream:stream', { xmlns: 'jabber:client', 'xmlns:stream': 'http://etherx.jabber.org/streams', to: 'example.com', version: '1.0' }],
      ['el', '<message to="juliet@example.com" id="a1"><body>hi</body></message>', Buffer.byteLength(msg)],
      ['el', '<presence/>', 11],
      ['end'],
    ]);
  });

  it('ignores whitespace keepalives between stanzas', () => {
    const { events } = run([HEADER, ' ', '\n', "<iq type='get' id='1'/>", ' \r\n\t ', ' ', "<iq type='get' id='2'/>", '\n']);
    assert.deepEqual(elements(events), ['<iq type="get" id="1"/>', '<iq type="get" id="2"/>']);
    assert.equal(
      events.some((e) => e[0] === 'error'),
      false,
    );
  });

  it('keeps names and xmlns as written; sets no inherited namespace', () => {
    const { events } = run([HEADER, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"]);
    assert.deepEqual(elements(events), ['<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls></stream:features>']);
  });

  it('decodes entities and character references; toString re-escapes', () => {
    const { events } = run([HEADER, `<message to="a&amp;b" x='&quot;&apos;&lt;&gt;'><body>1 &lt; 2 &amp;&amp; &#x263A;&#9731; &gt;</body></message>`]);
    assert.deepEqual(elements(events), [`<message to="a&amp;b" x="&quot;&apos;&lt;&gt;"><body>1 &lt; 2 &amp;&amp; \u263a\u2603 &gt;</body></message>`]);
  });

  it('accepts CDATA sections (RFC 6120 §11.1 does not restrict them), also split', () => {
    const { events } = run([HEADER, '<message><body><![CDATA[a <b> & ]', ']', '>c</body></message>']);
    assert.deepEqual(elements(events), ['<message><body>a &lt;b&gt; &amp; c</body></message>']);
  });

  it('ends CDATA sections whose ]]> straddles chunks', () => {
    const body = (chunks: string[]) => elements(run([HEADER, '<b><![CDATA[', ...chunks, '</b>']).events);
    assert.deepEqual(body(['x]', ']>']), ['<b>x</b>']);
    assert.deepEqual(body(['x]]', '>']), ['<b>x</b>']);
    assert.deepEqual(body(['x]]', ']>']), ['<b>x]</b>']);
    assert.deepEqual(body(['x]', ']', ']', '>']), ['<b>x]</b>']);
    assert.deepEqual(body(['x]', 'y]]>']), ['<b>x]y</b>']);
    assert.deepEqual(body([']]>']), ['<b/>']);
  });

  it('reassembles a multi-byte UTF-8 stanza split at every byte offset', () => {
    const stanza = "<message to='rom\u00e9o@exampl\u00e9.com' id='\u{1F600}'><body>\u65e5\u672c\u8a9e \u{1F680} \u00fc</body></message>";
    const bytes = Buffer.from(HEADER + stanza + '</stream:stream>');
    const whole = run([bytes]).events;
    assert.equal(whole[1]![0], 'el');
    assert.equal(whole[1]![2], Buffer.byteLength(stanza));
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(run([bytes.subarray(0, cut), bytes.subarray(cut)]).events, whole, `cut at ${cut}`);
    }
    const oneByOne: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) oneByOne.push(bytes.subarray(i, i + 1));
    assert.deepEqual(run(oneByOne).events, whole);
  });

  it('gives the same result however a rich stream is split', () => {
    const stream =
      `<?xml version="1.0" encoding="utf-8"?>\n${HEADER}\n<message to="a&amp;b" id='&#x41;&#66;'>` +
      "<body xml:lang='fr'>Caf\u00e9 &lt;&gt; <![CDATA[<raw> ]] ]]]]><![CDATA[]]></body><x:y xmlns:x='urn:x' a = \"1\" /></message> " +
      "<iq type='get' id='\u{1F600}'><query xmlns='jabber:iq:roster'/></iq></stream:stream >";
    const bytes = Buffer.from(stream);
    const whole = run([bytes]).events;
    assert.deepEqual(
      whole.map((e) => e[0]),
      ['start', 'el', 'el', 'end'],
    );
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(run([stream.slice(0, cut), stream.slice(cut)]).events, whole, `string cut at ${cut}`);
    }
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length;) {
        const n = 1 + Math.floor(random() * 12);
        chunks.push(bytes.subarray(i, i + n));
        i += n;
      }
      assert.deepEqual(run(chunks).events, whole, `round ${round}`);
    }
  });

  it('accepts string chunks split inside a surrogate pair', () => {
    const { events } = run([HEADER, '<body>\ud83d', '\ude00</body>']);
    assert.deepEqual(elements(events), ['<body>\u{1F600}</body>']);
  });

  it('restarts the stream on reset(), with a new XML declaration and header', () => {
    const { events, parser } = run([HEADER, '<auth/>']);
    parser.reset();
    parser.write(`<?xml version='1.0'?>${HEADER}<iq/>`);
    assert.deepEqual(
      events.map((e) => e[0]),
      ['start', 'el', 'start', 'el'],
    );
  });

  it('lets a handler reset the stream in the middle of a chunk', () => {
    const events: string[] = [];
    const parser = new StreamParser({ limits });
    parser.onStreamStart = (name) => events.push('start ' + name);
    parser.onElement = (el) => {
      events.push(el.name);
      if (el.name === 'success') parser.reset();
    };
    parser.onError = (c) => events.push('error ' + c);
    parser.write(`${HEADER}<success/><?xml version='1.0'?>${HEADER}<iq/>`);
    assert.deepEqual(events, ['start stream:stream', 'success', 'start stream:stream', 'iq']);
  });

  it('raises limits with setLimits', () => {
    const big = `<message><body>${'x'.repeat(5000)}</body></message>`;
    const { events, parser } = run([HEADER]);
    parser.setLimits({ ...limits, maxStanzaBytes: 10_000 });
    parser.write(big);
    assert.deepEqual(elements(events), [big]);
  });

  it('stops at a stanza over maxStanzaBytes while it is still streaming in', () => {
    const { events } = run([HEADER, '<message><body>', 'x'.repeat(3000), 'x'.repeat(3000)]);
    assert.deepEqual(events.at(-1)?.slice(0, 2), ['error', 'policy-violation']);
    const after = run([HEADER, '<message><body>', 'x'.repeat(5000)]).events;
    assert.equal(after.at(-1)?.[1], 'policy-violation');
  });

  it('counts the stanza size in bytes, not characters', () => {
    const body = '\u00e9'.repeat(2100); // 2100 characters, 4200 bytes
    assert.equal(errorOf(HEADER, `<message><body>${body}</body></message>`), 'policy-violation');
  });

  it('ignores input after an error', () => {
    const { events, parser } = run([HEADER, '<!-- hi -->']);
    parser.write('<iq/>');
    assert.deepEqual(
      events.map((e) => e[0]),
      ['start', 'error'],
    );
  });

  describe('rejects restricted XML (RFC 6120 §11.1)', () => {
    const cases: [string, string][] = [
      ['a DOCTYPE', '<!DOCTYPE stream [<!ENTITY x "y">]>'],
      ['a comment at stream level', `${HEADER}<!-- hello -->`],
      ['a comment inside a stanza', `${HEADER}<message><!-- hello --></message>`],
      ['a processing instruction', `${HEADER}<?php echo 1 ?>`],
      ['an XML declaration after the start', `${HEADER}<?xml version='1.0'?>`],
      ['a processing instruction at the start', `<?xml-stylesheet href='a'?>${HEADER}`],
      ['an undefined entity reference', `${HEADER}<message><body>&nbsp;</body></message>`],
      ['an undefined entity in an attribute', `${HEADER}<message to='&xxe;'/>`],
    ];
    for (const [what, input] of cases) it(what, () => assert.equal(errorOf(input), 'restricted-xml'));
  });

  describe('rejects XML that is not well-formed', () => {
    const cases: [string, ...string[]][] = [
      ['mismatched tags', `${HEADER}<message><body></message></body>`],
      ['an end tag without start', `${HEADER}</message>`],
      ['a bad element name', `${HEADER}<1message/>`],
      ['a bad QName', `${HEADER}<a:b:c/>`],
      ['a duplicate attribute', `${HEADER}<message to='a' to='b'/>`],
      ['an unquoted attribute', `${HEADER}<message to=a/>`],
      ['an attribute without value', `${HEADER}<message to/>`],
      ["'<' in an attribute value", `${HEADER}<message to='a<b'/>`],
      ['attributes without space', `${HEADER}<message to='a'id='b'/>`],
      ['a control character', `${HEADER}<message><body>a\u0001b</body></message>`],
      ['a control character split off', `${HEADER}<message><body>a`, '\u0000'],
      ['U+FFFE', `${HEADER}<message><body>\ufffe</body></message>`],
      ['a character reference to a control character', `${HEADER}<message><body>&#1;</body></message>`],
      ['a bare ampersand', `${HEADER}<message><body>a & b</body></message>`],
      ["']]>' in text", `${HEADER}<message><body>a ]]> b</body></message>`],
      ['text at stream level', `${HEADER}hello`],
      ['text before the header', `hello${HEADER}`],
      ['a lone surrogate', `${HEADER}<body>\udc00</body>`],
      ['a malformed XML declaration', "<?xml version='2' what?>"],
      ['an undeclared element prefix', `${HEADER}<foo:bar/>`],
      ['an undeclared attribute prefix', `${HEADER}<message foo:bar='1'/>`],
      ['a prefix used out of its scope', `${HEADER}<a><x:b xmlns:x='urn:x'/><x:c/></a>`],
      ['the xmlns prefix on an element', `${HEADER}<xmlns:a/>`],
    ];
    for (const [what, ...input] of cases) it(what, () => assert.equal(errorOf(...input), 'not-well-formed'));

    it('invalid UTF-8', () => {
      const errors = run([Buffer.from(HEADER), Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28])]).events.filter((e) => e[0] === 'error');
      assert.deepEqual(
        errors.map((e) => e[1]),
        ['not-well-formed'],
      );
    });

    it('an overlong UTF-8 encoding of <', () => {
      const errors = run([Buffer.from(HEADER), Buffer.from([0xc0, 0xbc])]).events.filter((e) => e[0] === 'error');
      assert.deepEqual(
        errors.map((e) => e[1]),
        ['not-well-formed'],
      );
    });
  });

  it('rejects a non-UTF-8 encoding declaration', () => {
    assert.equal(errorOf(`<?xml version='1.0' encoding='ISO-8859-1'?>${HEADER}`), 'unsupported-encoding');
  });

  describe('enforces limits with policy-violation', () => {
    it('depth', () => {
      const deep = '<a>'.repeat(9) + '</a>'.repeat(9);
      assert.equal(errorOf(HEADER, deep), 'policy-violation');
      assert.equal(errorOf(HEADER, '<a>'.repeat(8) + '</a>'.repeat(8)), undefined);
    });
    it('attribute count', () => {
      const attrs = Array.from({ length: 9 }, (_, i) => ` a${i}='x'`).join('');
      assert.equal(errorOf(HEADER, `<message${attrs}/>`), 'policy-violation');
    });
    it('attribute value length, also split across chunks', () => {
      assert.equal(errorOf(HEADER, `<message to='${'x'.repeat(257)}'/>`), 'policy-violation');
      assert.equal(errorOf(HEADER, "<message to='", 'x'.repeat(200), 'x'.repeat(100)), 'policy-violation');
      assert.equal(errorOf(HEADER, `<message to='${'\u00e9'.repeat(129)}'/>`), 'policy-violation');
    });
    it('name length', () => {
      assert.equal(errorOf(HEADER, `<${'m'.repeat(65)}/>`), 'policy-violation');
      assert.equal(errorOf(HEADER, `<m ${'a'.repeat(65)}='1'/>`), 'policy-violation');
    });
    it('the stream header itself', () => {
      const attrs = Array.from({ length: 6 }, (_, i) => ` a${i}='${'y'.repeat(200)}'`);
      const { events } = run(['<stream:stream', ...attrs], { ...limits, maxStanzaBytes: 1000 });
      assert.deepEqual(
        events.map((e) => e[1]),
        ['policy-violation'],
      );
    });
  });

  it('accepts prefixes declared on the element, an ancestor, or the stream header, and xml:', () => {
    const input = ["<x:a xmlns:x='urn:x' x:attr='1'><x:b/></x:a>", "<stream:features><b xml:lang='en'/></stream:features>"];
    const { events } = run([HEADER, ...input]);
    assert.equal(elements(events).length, 2);
    assert.equal(
      events.some((e) => e[0] === 'error'),
      false,
    );
  });

  it('copies other prefix declarations of the stream header onto the top-level element using them', () => {
    const header = "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'>";
    const { events } = run([header, "<db:result from='a.example' to='b.example'>key</db:result>", '<message><db:x/></message>', '<stream:features/>']);
    assert.deepEqual(elements(events), [
      '<db:result from="a.example" to="b.example" xmlns:db="jabber:server:dialback">key</db:result>',
      '<message xmlns:db="jabber:server:dialback"><db:x/></message>',
      '<stream:features/>',
    ]);
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    const { events } = run([HEADER, "<x __proto__='a' constructor='b'/>"]);
    assert.deepEqual(elements(events), ['<x __proto__="a" constructor="b"/>']);
  });

  it('normalises line ends in text and whitespace in attribute values', () => {
    const { events } = run([HEADER, "<x a='1\r\n2\t3&#10;'>l1\r\nl2\rl3</x>"]);
    assert.deepEqual(elements(events), ['<x a="1 2 3&#10;">l1\nl2\nl3</x>']);
  });

  it('keeps escaped tabs, newlines and carriage returns through toString and a re-parse', () => {
    const { events } = run([HEADER, "<x a='1&#9;2&#10;3&#13;'>l&#13;\nm</x>"]);
    assert.deepEqual(elements(events), ['<x a="1&#9;2&#10;3&#13;">l&#13;\nm</x>']);
  });

  it('round-trips stanzas through parse and toString', () => {
    const stanzas = [
      '<message xmlns="jabber:client" to="romeo@example.net" from="juliet@example.com/balcony" type="chat" id="m1"><body>Wherefore art thou, Romeo? &lt;3 &amp; ☺</body><thread>e0ffe42b</thread></message>',
      '<iq type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>balcony</resource></bind></iq>',
      '<presence><show>away</show><status>“quoted” &amp; "plain" \'single\'</status><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/></presence>',
    ];
    const { events } = run([HEADER, ...stanzas]);
    assert.deepEqual(elements(events), stanzas);
  });
});
