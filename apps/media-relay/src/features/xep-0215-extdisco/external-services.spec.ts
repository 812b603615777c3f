import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NS, StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import { issueTurnCredential, verifyTurnCredential } from '../rfc8656-turn/credentials.js';
import { credentialsAnswer, servicesAnswer, servicesOf, xep0082 } from './external-services.js';

const SECRET = 'a-shared-secret-of-32-characters';
const NOW = Date.UTC(2026, 11, 6, 13, 0, 0);
const issue = () => issueTurnCredential(SECRET, 'alice@example.org', 3600, NOW);
const relay = servicesOf({ host: 'turn.example.org', ports: { udp: 3478, tcp: 3478, tls: 5349 } });

test('XEP-0215 §3.1: all services, TURN ones restricted with a REST-API credential that the relay accepts', () => {
  const answer = servicesAnswer(relay, xml('services', { xmlns: NS.extdisco }), issue);
  assert.equal(answer.attr('type'), undefined);
  const got = answer.getChildren('service').map((s) => [s.attr('type'), s.attr('transport'), s.attr('port'), s.attr('restricted') ?? '-']);
  assert.deepEqual(got, [
    ['stun', 'udp', '3478', '-'],
    ['turn', 'udp', '3478', '1'],
    ['turn', 'tcp', '3478', '1'],
    ['turns', 'tcp', '5349', '1'],
  ]);
  const turn = answer.getChildren('service')[1]!;
  assert.equal(turn.attr('host'), 'turn.example.org');
  assert.equal(turn.attr('expires'), '2026-12-06T14:00:00Z');
  assert.ok(verifyTurnCredential(SECRET, turn.attr('username')!, turn.attr('password')!, NOW).ok);
  assert.equal(verifyTurnCredential(SECRET, turn.attr('username')!, turn.attr('password')!, NOW + 3601_000).ok, false, 'expired after the TTL');
  assert.equal(answer.getChildren('service')[0]!.attr('username'), undefined, 'STUN needs no credential');
});

test('XEP-0215 §3.2: a type filter returns only that type and echoes it; an unknown type is an empty list', () => {
  const answer = servicesAnswer(relay, xml('services', { xmlns: NS.extdisco, type: 'turn' }), issue);
  assert.equal(answer.attr('type'), 'turn');
  assert.deepEqual(
    answer.getChildren('service').map((s) => s.attr('transport')),
    ['udp', 'tcp'],
  );
  let issued = 0;
  const stun = servicesAnswer(relay, xml('services', { xmlns: NS.extdisco, type: 'stun' }), () => (issued++, issue()));
  assert.equal(stun.getChildren('service').length, 1);
  assert.equal(issued, 0, 'no credential is minted for STUN only');
  assert.equal(servicesAnswer(relay, xml('services', { xmlns: NS.extdisco, type: 'ftp' }), issue).getChildren('service').length, 0);
});

test('XEP-0215 §3.3: credentials for host+type (+port); every match; item-not-found and bad-request otherwise', () => {
  const ask = (...services: Record<string, string>[]) =>
    credentialsAnswer(relay, xml('credentials', { xmlns: NS.extdisco }, ...services.map((a) => xml('service', a))), issue);
  const both = ask({ host: 'turn.example.org', type: 'turn' });
  assert.ok(!(both instanceof StanzaError));
  assert.deepEqual(
    both.getChildren('service').map((s) => s.attr('transport')),
    ['udp', 'tcp'],
  );
  assert.ok(both.getChildren('service').every((s) => s.attr('password') && s.attr('username')?.endsWith(':alice@example.org')));
  const tls = ask({ host: 'turn.example.org', type: 'turns', port: '5349' });
  assert.ok(!(tls instanceof StanzaError));
  assert.equal(tls.getChildren('service').length, 1);
  const cond = (r: unknown) => (r instanceof StanzaError ? r.condition : 'answered');
  assert.equal(cond(ask({ host: 'other.example.org', type: 'turn' })), 'item-not-found');
  assert.equal(cond(ask({ host: 'turn.example.org', type: 'turn', port: '9' })), 'item-not-found');
  assert.equal(cond(ask({ type: 'turn' })), 'bad-request');
  assert.equal(cond(ask({ host: 'turn.example.org', type: 'turn', port: 'x' })), 'bad-request');
  assert.equal(cond(ask()), 'bad-request');
});

test('expires is XEP-0082 UTC without fractions', () => {
  assert.equal(xep0082(new Date(Date.UTC(2027, 0, 2, 3, 4, 5, 678))), '2027-01-02T03:04:05Z');
});
