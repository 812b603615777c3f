import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ldapSchema } from './directory.schema.js';

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
