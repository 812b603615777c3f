import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from './oauthbearer.mechanism.js';

test('RFC 7628 §3.1 client responses: the token and authzid, or why the message is malformed', () => {
  assert.deepEqual(parse('n,,\x01auth=Bearer abc.def-_~+/=\x01\x01'), { token: 'abc.def-_~+/=' });
  assert.deepEqual(parse('n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=bearer  tok\x01\x01'), {
    token: 'tok',
    authzid: 'user@example.com',
  });
  assert.deepEqual(parse('n,a=a=2Cb,\x01auth=Bearer t\x01\x01'), { token: 't', authzid: 'a,b' });
  for (const bad of [
    'auth=Bearer abc',
    'p=tls-exporter,,\x01auth=Bearer t\x01\x01',
    'n,,\x01auth=Bearer t\x01',
    'n,,\x01host=x\x01\x01',
    'n,,\x01auth=Basic dTpw\x01\x01',
    'n,,\x01auth=Bearer a b\x01\x01',
    'n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01',
    'n,a=x=y,\x01auth=Bearer t\x01\x01',
  ]) {
    assert.equal(typeof parse(bad), 'string', JSON.stringify(bad));
  }
});
