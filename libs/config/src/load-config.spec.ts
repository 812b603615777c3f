import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config.js';

test('defaults give a working standalone config', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c.domains, ['localhost']);
  assert.equal(c.edge.c2sPort, 5222);
  assert.equal(c.edge.directTlsPort, 5223);
  assert.equal(c.bus.kind, 'inprocess');
  assert.equal(c.registration.enabled, false);
  assert.equal(c.edge.limits.maxStanzaBytes, 262144);
  // XEP-0388/0386/0484: Conversations and Monal use SASL2, Bind2 and FAST only when offered.
  assert.equal(c.edge.sasl2.enabled, true);
  assert.equal(c.edge.sasl2.fast.enabled, true);
});

test('env overrides name settings by section and key', () => {
  const c = loadConfig({ env: { GLIDER_EDGE__C2S_PORT: '15222', GLIDER_DOMAINS: 'a.example,b.example', GLIDER_EDGE__LIMITS__MAX_DEPTH: '10' } });
  assert.equal(c.edge.c2sPort, 15222);
  assert.deepEqual(c.domains, ['a.example', 'b.example']);
  assert.equal(c.edge.limits.maxDepth, 10);
});

test('a bad value fails with the key and its origin named', () => {
  assert.throws(
    () => loadConfig({ env: { GLIDER_EDGE__C2S_PORT: '99999' } }),
    (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /edge\.c2sPort/);
      assert.match(err.message, /GLIDER_EDGE__C2S_PORT/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ env: { GLIDER_NOPE: 'x' } }), /GLIDER_NOPE names no setting/);
});

test('a file is read, and a misspelt key in it is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-config-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'domains: [chat.example.com]\nedge:\n  c2sPort: 6222\n');
  assert.equal(loadConfig({ env: {}, file: good }).edge.c2sPort, 6222);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'edge:\n  c2sPrt: 6222\n');
  assert.throws(() => loadConfig({ env: {}, file: bad }), /edge: unknown key\(s\) c2sPrt \(from file/);
  const badDomain = join(dir, 'domain.yaml');
  writeFileSync(badDomain, 'domains: ["Not A Domain"]\n');
  assert.throws(() => loadConfig({ env: {}, file: badDomain }), /domains\.0: must be a lower-case DNS name/);
});

test('s2s.dane: off by default; the resolver by env as host:port or [v6]:port, anything else refused by name', () => {
  const off = loadConfig({ env: {} }).s2s.dane;
  assert.equal(off.resolver, undefined);
  assert.deepEqual([off.timeoutMs, off.tries, off.udpPayloadBytes, off.maxResponseBytes, off.maxRecords], [2000, 2, 1232, 16384, 64]);
  assert.equal(loadConfig({ env: { GLIDER_S2S__DANE__RESOLVER: '127.0.0.1:53' } }).s2s.dane.resolver, '127.0.0.1:53');
  // an env value starting with [ is read as JSON (an array): a v6 resolver goes in the config file
  assert.throws(() => loadConfig({ env: { GLIDER_S2S__DANE__RESOLVER: '[::1]:5353' } }), /s2s\.dane\.resolver: not valid JSON/);
  const dir = mkdtempSync(join(tmpdir(), 'glider-config-dane-'));
  writeFileSync(join(dir, 'glider.json'), JSON.stringify({ s2s: { dane: { resolver: '[::1]:5353' } } }));
  assert.equal(loadConfig({ env: {}, file: join(dir, 'glider.json') }).s2s.dane.resolver, '[::1]:5353');
  for (const bad of ['127.0.0.1', '::1:53', 'resolver :53'])
    assert.throws(() => loadConfig({ env: { GLIDER_S2S__DANE__RESOLVER: bad } }), /s2s\.dane\.resolver/, bad);
});
