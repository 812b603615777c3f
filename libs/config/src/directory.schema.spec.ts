import assert from 'node:assert/strict';
import { test } from 'node:test';
import { directoryDomainSchema, ldapSchema } from './directory.schema.js';

const base = { url: 'ldap://ldap.example.test', startTls: true, userBase: 'ou=people,dc=example,dc=test' };

test('directory ldap config: defaults, and each refusal names its problem', () => {
  const ok = ldapSchema.parse(base);
  assert.equal(ok.poolSize, 4);
  assert.equal(ok.userFilter, '(uid={username})');
  const problem = (v: Record<string, unknown>): string => {
    const r = ldapSchema.safeParse(v);
    assert.equal(r.success, false, JSON.stringify(v));
    return r.error.issues.map((i) => i.message).join('; ');
  };
  assert.match(problem({ ...base, startTls: false }), /plain LDAP/);
  assert.match(problem({ ...base, url: 'ldaps://ldap.example.test' }), /startTls is for ldap/);
  assert.match(problem({ ...base, userDnPattern: 'uid={username},dc=x' }), /exactly one/);
  assert.match(problem({ url: base.url, startTls: true }), /exactly one/);
  assert.match(problem({ ...base, bindDn: 'cn=glider' }), /go together/);
  assert.match(problem({ ...base, loginFilter: 'memberOf=x' }), /LDAP filter/);
  assert.match(problem({ ...base, url: 'http://x' }), /ldap:\/\//);
});

test('directory search and vcard config: defaults, and a bad field name or attribute is refused', () => {
  const d = directoryDomainSchema.parse({ ldap: base });
  assert.deepEqual(d.search.fields, { user: 'uid', first: 'givenName', last: 'sn', nick: 'displayName', email: 'mail', fn: 'cn' });
  assert.equal(d.vcard, undefined, 'vCards from the directory only when asked for');
  const v = directoryDomainSchema.parse({ ldap: base, vcard: {} }).vcard!;
  assert.equal(v.attributes.photo, 'jpegPhoto');
  assert.equal(v.cacheTtlMs, 300_000);
  const bad = (extra: Record<string, unknown>) => directoryDomainSchema.safeParse({ ldap: base, ...extra }).success;
  assert.equal(bad({ search: { fields: { jid: 'uid' } } }), false, 'jid is the result column');
  assert.equal(bad({ search: { fields: { Email: 'mail' } } }), false, 'field names are lower case');
  assert.equal(bad({ search: { fields: { email: 'mail)(uid=*' } } }), false, 'an attribute name, not a filter');
  assert.equal(bad({ vcard: { attributes: { photo: 'jpeg Photo' } } }), false);
  assert.equal(bad({ vcard: { attributes: { shoeSize: 'x' } } }), false, 'only vCard fields the router maps');
});
