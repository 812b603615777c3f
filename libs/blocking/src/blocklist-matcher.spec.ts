import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJid } from '#libs/jid';
import { BlocklistMatcher } from './blocklist-matcher.js';

const blocks = (items: string[], peer: string) => new BlocklistMatcher(items).blocks(parseJid(peer));

// XEP-0191 §6 → XEP-0016 §2.1: the four item forms and what each one matches.
test('user@domain/resource blocks only that full JID', () => {
  assert.equal(blocks(['romeo@montague.net/orchard'], 'romeo@montague.net/orchard'), true);
  assert.equal(blocks(['romeo@montague.net/orchard'], 'romeo@montague.net/garden'), false);
  assert.equal(blocks(['romeo@montague.net/orchard'], 'romeo@montague.net'), false);
});

test('user@domain blocks the bare JID with any resource, nobody else at the domain', () => {
  assert.equal(blocks(['romeo@montague.net'], 'romeo@montague.net'), true);
  assert.equal(blocks(['romeo@montague.net'], 'romeo@montague.net/any'), true);
  assert.equal(blocks(['romeo@montague.net'], 'benvolio@montague.net/x'), false);
  assert.equal(blocks(['romeo@montague.net'], 'montague.net'), false);
});

test('domain/resource blocks only that JID', () => {
  assert.equal(blocks(['montague.net/bot'], 'montague.net/bot'), true);
  assert.equal(blocks(['montague.net/bot'], 'montague.net'), false);
  assert.equal(blocks(['montague.net/bot'], 'romeo@montague.net/bot'), false);
});

test('domain blocks the domain and every JID at it, not its subdomains', () => {
  for (const peer of ['montague.net', 'montague.net/bot', 'romeo@montague.net', 'romeo@montague.net/orchard']) {
    assert.equal(blocks(['montague.net'], peer), true, peer);
  }
  assert.equal(blocks(['montague.net'], 'chat.montague.net'), false);
  assert.equal(blocks(['montague.net'], 'montague.net.evil'), false);
});

test('an empty list blocks nothing', () => {
  assert.equal(BlocklistMatcher.EMPTY.blocks(parseJid('a@b/c')), false);
});
