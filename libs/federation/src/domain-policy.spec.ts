import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainPolicy } from './domain-policy.js';

test('allowlist (the default mode): only named partners, subdomain patterns, deny wins', () => {
  const p = new DomainPolicy({ mode: 'allowlist', allow: ['partner.example', '*.offices.example', 'Bücher.Example'], deny: ['bad.offices.example'] });
  assert.deepEqual(p.decide('partner.example'), { allowed: true });
  assert.deepEqual(p.decide('PARTNER.example.'), { allowed: true });
  assert.deepEqual(p.decide('paris.offices.example'), { allowed: true });
  assert.deepEqual(p.decide('xn--bcher-kva.example'), { allowed: true });
  assert.deepEqual(p.decide('offices.example'), { allowed: false, why: 'not-on-allowlist' }); // `*.` is subdomains only
  assert.deepEqual(p.decide('bad.offices.example'), { allowed: false, why: 'denied' });
  assert.deepEqual(p.decide('sub.partner.example'), { allowed: false, why: 'not-on-allowlist' });
  assert.deepEqual(p.decide('evilpartner.example'), { allowed: false, why: 'not-on-allowlist' });
  assert.deepEqual(p.decide('stranger.example'), { allowed: false, why: 'not-on-allowlist' });
});

test('open: everyone but the deny list', () => {
  const p = new DomainPolicy({ mode: 'open', allow: [], deny: ['spam.example', '*.spam.example'] });
  assert.equal(p.allows('anyone.example'), true);
  assert.deepEqual(p.decide('spam.example'), { allowed: false, why: 'denied' });
  assert.deepEqual(p.decide('a.b.spam.example'), { allowed: false, why: 'denied' });
});

test('closed: nobody, whatever the lists say', () => {
  const p = new DomainPolicy({ mode: 'closed', allow: ['partner.example'], deny: [] });
  assert.deepEqual(p.decide('partner.example'), { allowed: false, why: 'federation-closed' });
});

test('a malformed domain is refused, never thrown on', () => {
  const p = new DomainPolicy({ mode: 'open', allow: [], deny: [] });
  assert.deepEqual(p.decide(''), { allowed: false, why: 'bad-domain' });
  assert.deepEqual(p.decide('a..b'), { allowed: false, why: 'bad-domain' });
});

test('dialback: only when switched on, and only for domains the policy allows', () => {
  const off = new DomainPolicy({ mode: 'open', allow: [], deny: [] });
  assert.equal(off.dialbackFor('partner.example'), false);
  const on = new DomainPolicy({ mode: 'allowlist', allow: ['partner.example'], deny: [], dialback: true });
  assert.equal(on.dialbackFor('partner.example'), true);
  assert.equal(on.dialbackFor('stranger.example'), false);
  const closed = new DomainPolicy({ mode: 'closed', allow: [], deny: [], dialback: true });
  assert.equal(closed.dialbackFor('partner.example'), false);
});
