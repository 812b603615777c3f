import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jid, JidError, parseJid, tryParseJid } from './index.js';

function parts(s: string): [string, string, string] {
  const j = parseJid(s);
  return [j.local, j.domain, j.resource];
}

function reason(s: string): string {
  try {
    parseJid(s);
  } catch (err) {
    assert.ok(err instanceof JidError);
    return err.message;
  }
  assert.fail(`${JSON.stringify(s)} parsed`);
}

describe('parseJid: RFC 7622 §3.5.1 valid examples', () => {
  const valid: [string, [string, string, string]][] = [
    ['juliet@example.com', ['juliet', 'example.com', '']],
    ['juliet@example.com/foo', ['juliet', 'example.com', 'foo']],
    ['juliet@example.com/foo bar', ['juliet', 'example.com', 'foo bar']],
    ['juliet@example.com/foo@bar', ['juliet', 'example.com', 'foo@bar']],
    ['foo\\20bar@example.com', ['foo\\20bar', 'example.com', '']],
    ['fussball@example.com', ['fussball', 'example.com', '']],
    ['fu\u00dfball@example.com', ['fu\u00dfball', 'example.com', '']],
    ['\u03c0@example.com', ['\u03c0', 'example.com', '']],
    ['\u03a3@example.com/foo', ['\u03c3', 'example.com', 'foo']],
    ['\u03c3@example.com/foo', ['\u03c3', 'example.com', 'foo']],
    ['\u03c2@example.com/foo', ['\u03c2', 'example.com', 'foo']],
    ['king@example.com/\u265a', ['king', 'example.com', '\u265a']],
    ['example.com', ['', 'example.com', '']],
    ['example.com/foobar', ['', 'example.com', 'foobar']],
    ['a.example.com/b@example.net', ['', 'a.example.com', 'b@example.net']],
  ];
  for (const [input, expected] of valid) it(input, () => assert.deepEqual(parts(input), expected));
});

describe('parseJid: RFC 7622 §3.5.2 invalid examples', () => {
  const invalid = [
    '"juliet"@example.com',
    'foo bar@example.com',
    'henry\u2163@example.com',
    '\u265a@example.com',
    'juliet@',
    '/foobar',
    'node@/server',
    '@example.com',
    'juliet@example.com/',
  ];
  for (const input of invalid) it(input, () => assert.equal(tryParseJid(input), undefined));
});

describe('parts', () => {
  it('splits resource at the first slash, then local at the first @', () => {
    assert.deepEqual(parts('a@b.example/c/d@e'), ['a', 'b.example', 'c/d@e']);
    assert.deepEqual(parts('b.example/c@d'), ['', 'b.example', 'c@d']);
  });

  it('maps case in localpart and domainpart, never in resourcepart', () => {
    assert.equal(parseJid('JuLiEt@Example.COM/Balcony').toString(), 'juliet@example.com/Balcony');
  });

  it('maps fullwidth characters in the localpart and domainpart', () => {
    assert.equal(parseJid('\uff2a\uff55\uff4c\uff49\uff45\uff54@\uff45xample.com').toString(), 'juliet@example.com');
  });

  it('does not width-map the resourcepart (OpaqueString) but maps other spaces to U+0020', () => {
    assert.equal(parseJid('a@example.com/\uff21').resource, '\uff21');
    assert.equal(parseJid('a@example.com/x\u3000y').resource, 'x y');
  });

  it('normalises to NFC', () => {
    assert.equal(parseJid('cafe\u0301@example.com/cafe\u0301').toString(), 'caf\u00e9@example.com/caf\u00e9');
  });

  it('rejects the RFC 7622 §3.3.1 characters in localparts', () => {
    for (const c of ['"', '&', "'", ':', '<', '>']) assert.equal(tryParseJid(`a${c}b@example.com`), undefined, c);
    assert.throws(() => jid('a/b', 'example.com'), JidError);
    assert.throws(() => jid('a@b', 'example.com'), JidError);
    assert.match(reason("o'hara@example.com"), /localpart/);
  });

  it('rejects controls and unassigned or disallowed code points', () => {
    assert.equal(tryParseJid('a@example.com/x\u0007'), undefined);
    assert.equal(tryParseJid('a\u00ad@example.com'), undefined); // default ignorable
    assert.equal(tryParseJid('a@example.com/\u{E0001}'), undefined); // language tag
    assert.equal(tryParseJid('a\u0378@example.com'), undefined); // unassigned
  });

  it('applies the bidi rule to right-to-left localparts', () => {
    assert.equal(parseJid('\u05d0\u05d1@example.com').local, '\u05d0\u05d1'); // Hebrew
    assert.equal(parseJid('\u0627\u0644\u0661@example.com').local, '\u0627\u0644\u0661'); // Arabic + Arabic-Indic digit
    assert.match(reason('\u05d0a@example.com'), /left-to-right/);
    assert.match(reason('1\u05d0@example.com'), /start/);
    assert.match(reason('\u05d0-@example.com'), /end/);
    assert.match(reason('\u0627\u0661\u06f1@example.com'), /localpart/); // AN and EN mixed (also CONTEXTO)
    assert.equal(parseJid('abc@example.com/\u05d0a').resource, '\u05d0a'); // no bidi rule for resources
  });

  it('applies contextual rules', () => {
    assert.equal(parseJid('l\u00b7l@example.com').local, 'l\u00b7l');
    assert.equal(tryParseJid('a\u00b7b@example.com'), undefined);
    assert.equal(tryParseJid('a\u200db@example.com'), undefined);
    assert.equal(parseJid('\u0915\u094d\u200d\u0937@example.com').local, '\u0915\u094d\u200d\u0937');
  });

  it('enforces 1023 bytes per part', () => {
    const ok = 'a'.repeat(1023);
    assert.equal(parseJid(`${ok}@example.com/${ok}`).local.length, 1023);
    assert.match(reason(`${'a'.repeat(1024)}@example.com`), /1023/);
    assert.match(reason(`a@example.com/${'\u00e9'.repeat(512)}`), /1023/);
  });

  it('refuses absurdly long input before normalising it', () => {
    assert.match(reason(`a@example.com/${'x'.repeat(20000)}`), /too long/);
  });

  it('rejects empty parts', () => {
    assert.match(reason('@example.com'), /empty localpart/);
    assert.match(reason('a@example.com/'), /empty resourcepart/);
    assert.match(reason(''), /empty domainpart/);
    assert.throws(() => jid('', ''), JidError);
  });
});

describe('domainpart (RFC 7622 §3.2)', () => {
  it('strips one trailing dot', () => assert.equal(parseJid('a@example.com.').domain, 'example.com'));
  it('keeps IP literals', () => {
    assert.equal(parseJid('a@192.0.2.1/r').domain, '192.0.2.1');
    assert.equal(parseJid('a@[2001:DB8::1]').domain, '[2001:db8::1]');
    assert.equal(tryParseJid('a@[not-ipv6]'), undefined);
  });
  it('converts A-labels and maps IDN to lower-case U-labels', () => {
    assert.equal(parseJid('xn--caf-dma.example').domain, 'caf\u00e9.example');
    assert.equal(parseJid('CAF\u00c9.example').domain, 'caf\u00e9.example');
  });
  it('rejects invalid host names', () => {
    for (const d of ['exa mple.com', 'a..b', '-a.com', 'a-.com', 'a_b.com', 'a.123', `${'a'.repeat(64)}.com`, 'a@b@c']) {
      assert.equal(tryParseJid(d), undefined, d);
    }
  });
});

describe('Jid', () => {
  it('bare, isBare, withResource, equals, toString', () => {
    const full = parseJid('Juliet@example.com/balcony');
    const bare = full.bare();
    assert.equal(bare.toString(), 'juliet@example.com');
    assert.ok(bare.isBare());
    assert.ok(!full.isBare());
    assert.ok(bare.withResource('balcony').equals(full));
    assert.ok(!bare.equals(full));
    assert.equal(bare.bare(), bare);
    assert.throws(() => bare.withResource('\u0000'), JidError);
    assert.equal(JSON.stringify({ j: full }), '{"j":"juliet@example.com/balcony"}');
  });

  it('jid() normalises each part', () => {
    assert.equal(jid('ROMEO', 'Example.NET', 'Orchard').toString(), 'romeo@example.net/Orchard');
    assert.equal(jid(undefined, 'example.net').toString(), 'example.net');
    assert.throws(() => jid('a@b', 'example.net'), JidError);
  });

  it('returns the same canonical Jid for a repeated string (cache)', () => {
    assert.equal(parseJid('cache@example.com/r'), parseJid('cache@example.com/r'));
    assert.ok(parseJid('CACHE@example.com/r').equals(parseJid('cache@example.com/r')));
  });
});
