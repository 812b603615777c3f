import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enforceNickname, nicknameKey } from './precis-profiles.js';

describe('RFC 8266 nickname profile', () => {
  it('maps non-ASCII spaces, collapses and strips spaces, applies NFKC, keeps case', () => {
    assert.equal(enforceNickname('\u00a0 Juliet\u2003 Capulet  '), 'Juliet Capulet');
    assert.equal(enforceNickname('\uff2a\uff55\uff4c\uff49\uff45\uff54'), 'Juliet', 'fullwidth forms normalize (NFKC)');
    assert.equal(enforceNickname('Ромео ♥'), 'Ромео ♥', 'symbols are FreeformClass');
  });

  it('compares case-insensitively (§2.4)', () => {
    assert.equal(nicknameKey('JULIET'), nicknameKey('juliet'));
    assert.notEqual(nicknameKey('juliet'), nicknameKey('romeo'));
  });

  it('refuses an empty nickname and disallowed code points', () => {
    assert.throws(() => enforceNickname('   '), /empty/);
    assert.throws(() => enforceNickname('a\u0007b'), /not allowed/);
    assert.throws(() => enforceNickname('\u200b'), /not allowed|empty/);
  });
});
