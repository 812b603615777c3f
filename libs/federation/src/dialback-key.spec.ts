import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { dialbackKey, dialbackKeyValid } from './dialback-key.js';

test('XEP-0185 §2: the worked example', () => {
  // XEP-0185 §3 "Data Used in Examples": receiving xmpp.example.com, originating example.org.
  assert.equal(
    dialbackKey('s3cr3tf0rd14lb4ck', 'xmpp.example.com', 'example.org', 'D60000229F'),
    '37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643',
  );
});

test('agrees with an independent implementation (openssl dgst)', () => {
  const secret = 'another secret';
  const hexKey = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: secret }).toString().split(' ')[0]!;
  const mac = execFileSync('openssl', ['dgst', '-sha256', '-hmac', hexKey, '-r'], { input: 'b.example a.example 1234abcd' }).toString().split(' ')[0]!;
  assert.equal(dialbackKey(secret, 'b.example', 'a.example', '1234abcd'), mac);
});

test('a key verifies only for its own secret, domains and stream', () => {
  const key = dialbackKey('s', 'b.example', 'a.example', 'id1');
  assert.equal(dialbackKeyValid('s', 'b.example', 'a.example', 'id1', key), true);
  assert.equal(dialbackKeyValid('s', 'b.example', 'a.example', 'id1', key.toUpperCase()), true);
  assert.equal(dialbackKeyValid('t', 'b.example', 'a.example', 'id1', key), false);
  assert.equal(dialbackKeyValid('s', 'a.example', 'b.example', 'id1', key), false);
  assert.equal(dialbackKeyValid('s', 'b.example', 'a.example', 'id2', key), false);
  assert.equal(dialbackKeyValid('s', 'b.example', 'a.example', 'id1', ''), false);
  assert.equal(dialbackKeyValid('s', 'b.example', 'a.example', 'id1', key.slice(1)), false);
});
