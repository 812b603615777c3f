import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dnsIdMatches, matchServerIdentity, presentedIdentities } from './cert-identities.js';
import { makeFederationPki } from './testing/federation-pki.js';

const dir = mkdtempSync(join(tmpdir(), 'glider-fed-id-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pki = makeFederationPki(dir);

test('reads DNS-IDs, SRV-IDs and XmppAddr from a certificate made by openssl', () => {
  const { cert } = pki.issue('partner.example', {
    san: [
      'DNS:partner.example',
      'DNS:*.partner.example',
      'otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.partner.example',
      'otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpps-server.Partner.Example',
      'otherName:1.3.6.1.5.5.7.8.5;UTF8:partner.example',
      'IP:127.0.0.1',
    ],
  });
  const ids = presentedIdentities(new X509Certificate(cert));
  assert.deepEqual(ids.dns, ['partner.example', '*.partner.example']);
  assert.deepEqual(ids.srv, [
    { service: 'xmpp-server', domain: 'partner.example' },
    { service: 'xmpps-server', domain: 'partner.example' },
  ]);
  assert.deepEqual(ids.xmppAddr, ['partner.example']);
});

test('RFC 6120 §13.7.2.1: an SRV-ID, an XmppAddr or a DNS-ID alone each vouches for the domain', () => {
  const only = (san: string) => presentedIdentities(new X509Certificate(pki.issue('x.example', { san: [san] }).cert));
  assert.equal(matchServerIdentity(only('otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.a.example'), 'a.example'), 'srv-id');
  assert.equal(matchServerIdentity(only('otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpps-server.a.example'), 'a.example'), 'srv-id');
  assert.equal(matchServerIdentity(only('otherName:1.3.6.1.5.5.7.8.5;UTF8:a.example'), 'a.example'), 'xmpp-addr');
  assert.equal(matchServerIdentity(only('DNS:a.example'), 'A.Example.'), 'dns-id');
  // another service's SRV-ID names no XMPP server (RFC 9525 §6.4: the service must match)
  assert.equal(matchServerIdentity(only('otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_imap.a.example'), 'a.example'), undefined);
  assert.equal(matchServerIdentity(only('otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.a.example'), 'a.example'), undefined);
  // an XmppAddr of a user is not the server's
  assert.equal(matchServerIdentity(only('otherName:1.3.6.1.5.5.7.8.5;UTF8:admin@a.example'), 'a.example'), undefined);
});

test('RFC 9525 §6.1: the subject common name is never used', () => {
  const { cert } = pki.issue('cn-only.example', { san: ['DNS:other.example'] });
  const x = new X509Certificate(cert);
  assert.match(x.subject, /CN=cn-only.example/);
  assert.equal(matchServerIdentity(presentedIdentities(x), 'cn-only.example'), undefined);
});

test('a certificate without subjectAltName presents nothing', () => {
  const { cert } = pki.issue('nosan.example', { san: [] as string[] });
  assert.deepEqual(presentedIdentities(new X509Certificate(cert)), { dns: [], srv: [], xmppAddr: [] });
});

test('RFC 9525 §6.3 DNS-ID wildcard vectors', () => {
  const yes: [string, string][] = [
    ['*.example.com', 'foo.example.com'],
    ['*.Example.COM', 'BAR.example.com'],
    ['example.com', 'example.com.'],
    ['xn--bcher-kva.example', 'bücher.example'],
    ['*.xn--bcher-kva.example', 'www.bücher.example'],
  ];
  const no: [string, string][] = [
    ['*.example.com', 'example.com'], // the wildcard is one label, never none
    ['*.example.com', 'bar.foo.example.com'], // …and never two
    ['f*.example.com', 'foo.example.com'], // partial-label wildcards are not honoured
    ['*oo.example.com', 'foo.example.com'],
    ['www.*.example.com', 'www.foo.example.com'], // only the left-most label
    ['*.com', 'example.com'], // never a whole top-level domain
    ['*', 'example'],
    ['example.com', 'www.example.com'],
    ['example.com', 'example.co'],
  ];
  for (const [p, r] of yes) assert.equal(dnsIdMatches(p, r), true, `${p} should match ${r}`);
  for (const [p, r] of no) assert.equal(dnsIdMatches(p, r), false, `${p} should not match ${r}`);
});

test('SRV-IDs and XmppAddr never carry wildcards', () => {
  const ids = { dns: [], srv: [{ service: 'xmpp-server', domain: '*.example.com' }], xmppAddr: ['*.example.com'] };
  assert.equal(matchServerIdentity(ids, 'chat.example.com'), undefined);
});
