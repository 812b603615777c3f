import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adBindVerdict } from './ad-bind-errors.js';
import { escapeDnValue, escapeFilterValue, fillDn, fillFilter } from './ldap-escape.js';

test('RFC 4515 filter values: the five specials become \\XX, the rest stays', () => {
  assert.equal(escapeFilterValue('alice'), 'alice');
  assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
  assert.equal(escapeFilterValue('a\\b\0'), 'a\\5cb\\00');
  assert.equal(fillFilter('(&(uid={username})(mail={username}@x))', 'é*'), '(&(uid=é\\2a)(mail=é\\2a@x))');
});

test('RFC 4514 DN values: specials, a leading # or space, a trailing space', () => {
  assert.equal(escapeDnValue('alice'), 'alice');
  assert.equal(escapeDnValue('a,ou=admins'), 'a\\,ou\\=admins');
  assert.equal(escapeDnValue('#x'), '\\#x');
  assert.equal(escapeDnValue(' x '), '\\ x\\ ');
  assert.equal(escapeDnValue('a+b"c<d>e;f\\'), 'a\\+b\\"c\\<d\\>e\\;f\\\\');
  assert.equal(fillDn('uid={username},ou=people,dc=x', 'a,b'), 'uid=a\\,b,ou=people,dc=x');
});

test('Active Directory bind errors (invalidCredentials data codes) map to verdicts', () => {
  const ad = (code: string): string => adBindVerdict(`80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${code}, v4563`).kind;
  assert.equal(ad('52e'), 'invalid');
  assert.equal(ad('525'), 'invalid');
  assert.equal(ad('533'), 'disabled');
  assert.equal(ad('775'), 'disabled');
  assert.equal(ad('701'), 'disabled');
  assert.equal(ad('532'), 'expired');
  assert.equal(ad('773'), 'expired');
  assert.equal(adBindVerdict('Invalid credentials').kind, 'invalid', 'OpenLDAP says no more');
});
