import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkTurnUsername, ensureTurnSecret, issueTurnCredential, turnRestPassword, turnSecretPath, verifyTurnCredential } from './credentials.js';

const secret = 'north-north-north-north';

describe('TURN REST API credentials (draft-uberti-behave-turn-rest §2.2)', () => {
  it('makes username <expiry>:<user> and password base64(HMAC-SHA1(secret, username))', () => {
    const c = issueTurnCredential(secret, 'alice@example.com', 3600, 1_700_000_000_000);
    assert.equal(c.username, '1700003600:alice@example.com');
    // printf %s '1700003600:alice@example.com' | openssl dgst -sha1 -hmac north-north-north-north -binary | base64
    assert.equal(c.password, '1ixP65+5uet3yyPv9HK1Q8dmIMU=');
    assert.equal(turnRestPassword(secret, c.username), c.password);
    assert.equal(c.expiresAt.getTime(), 1_700_003_600_000);
  });

  it('accepts before expiry and refuses after, malformed names and wrong passwords', () => {
    const now = 1_700_000_000_000;
    const c = issueTurnCredential(secret, 'bob', 60, now);
    assert.equal(verifyTurnCredential(secret, c.username, c.password, now).ok, true);
    assert.deepEqual(verifyTurnCredential(secret, c.username, c.password, now + 60_000), { ok: false, reason: 'expired' });
    assert.deepEqual(checkTurnUsername(secret, 'bob', now), { ok: false, reason: 'malformed' });
    assert.deepEqual(checkTurnUsername(secret, ':bob', now), { ok: false, reason: 'malformed' });
    assert.deepEqual(checkTurnUsername(secret, '99999999999999999:bob', now), { ok: false, reason: 'malformed' });
    assert.equal(verifyTurnCredential(secret, c.username, `${c.password.slice(0, -2)}AA`, now).ok, false);
    assert.equal(verifyTurnCredential('another-secret-of-length', c.username, c.password, now).ok, false);
  });

  it('user part may hold the separator (first colon splits)', () => {
    const check = checkTurnUsername(secret, '4102444800:a:b', 1_700_000_000_000);
    assert.equal(check.ok && check.user, 'a:b');
  });

  it('makes the secret file 0600 once and reuses it; refuses a short one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'turn-secret-'));
    try {
      const path = turnSecretPath({ dataDir: dir });
      const first = ensureTurnSecret(path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(ensureTurnSecret(path), first);
      writeFileSync(path, 'short\n');
      assert.throws(() => ensureTurnSecret(path), /at least 16/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
