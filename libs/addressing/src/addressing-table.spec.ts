import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJid } from '#libs/jid';
import { subjects, partitionOf } from '#libs/bus';
import type { AddressQuery } from './address.js';
import { AddressingTable } from './addressing-table.js';
import { declaration } from './declaration.js';

const P = 8;
const ROSTER = 'jabber:iq:roster';

function table(): AddressingTable {
  const t = new AddressingTable({ localDomains: ['example.com'], partitions: P });
  t.set('router', declaration('router', 'r1', { serverIq: ['urn:xmpp:ping'], accountIq: [{ ns: 'vcard-temp', ownOnly: false }] }));
  t.set('presence', declaration('presence', 'p1', { accountPresence: true, accountIq: [{ ns: ROSTER, ownOnly: true }], discoFeatures: [ROSTER] }));
  return t;
}

const q = (kind: AddressQuery['kind'], from: string, to: string, extra: Partial<AddressQuery> = {}): AddressQuery => ({
  kind,
  type: kind === 'iq' ? 'get' : '',
  from: parseJid(from),
  to: parseJid(to),
  phase: 'sent',
  ...extra,
});

test('a local account: messages and IQs to a full JID go to its sessions', () => {
  const t = table();
  assert.deepEqual(t.resolve(q('message', 'alice@example.com/pc', 'bob@example.com')), { kind: 'account', account: 'bob@example.com' });
  assert.deepEqual(t.resolve(q('iq', 'alice@example.com/pc', 'bob@example.com/phone', { ns: 'x' })), { kind: 'account', account: 'bob@example.com' });
});

test('presence: the sender presence service first, then the recipient, partitioned by the account', () => {
  const t = table();
  const sent = t.resolve(q('presence', 'alice@example.com/pc', 'bob@example.com'));
  assert.equal(sent.kind === 'service' && sent.partitionKey, 'alice@example.com');
  assert.equal(sent.kind === 'service' && sent.subject, subjects.presenceIn(partitionOf('alice@example.com', P)));
  const delivered = t.resolve(q('presence', 'alice@example.com/pc', 'bob@example.com/x', { phase: 'deliver' }));
  assert.deepEqual(delivered.kind === 'service' && [delivered.service, delivered.claim, delivered.partitionKey], [
    'presence',
    'account-presence',
    'bob@example.com',
  ]);
  assert.equal(t.resolve(q('presence', 'alice@example.com/pc', 'example.com', { phase: 'deliver' })).kind, 'drop');
  assert.equal(t.presenceOf('bob@example.com')?.subject, subjects.presenceIn(partitionOf('bob@example.com', P)), 'where session events go');
  assert.equal(new AddressingTable({ localDomains: ['example.com'], partitions: P }).presenceOf('bob@example.com'), undefined);
});

test('account IQs: own-only claims serve the owner only; nobody serving → service-unavailable', () => {
  const t = table();
  const own = t.resolve(q('iq', 'alice@example.com/pc', 'alice@example.com', { ns: ROSTER }));
  assert.equal(own.kind === 'service' && own.service, 'presence');
  const other = t.resolve(q('iq', 'alice@example.com/pc', 'bob@example.com', { ns: ROSTER }));
  assert.equal(other.kind === 'bounce' && other.condition, 'service-unavailable');
  const vcard = t.resolve(q('iq', 'alice@example.com/pc', 'bob@example.com', { ns: 'vcard-temp' }));
  assert.deepEqual(vcard.kind === 'service' && [vcard.service, vcard.partitionKey], ['router', 'bob@example.com']);
  const unknown = t.resolve(q('iq', 'alice@example.com/pc', 'bob@example.com', { ns: 'urn:nobody', type: 'set' }));
  assert.equal(unknown.kind === 'bounce' && unknown.condition, 'service-unavailable');
  assert.equal(t.resolve(q('iq', 'alice@example.com/pc', 'bob@example.com', { type: 'result' })).kind, 'drop');
  assert.deepEqual(t.accountNamespaces(true), [ROSTER, 'vcard-temp']);
  assert.deepEqual(t.accountNamespaces(false), ['vcard-temp'], 'others are not told about what only the owner may use');
  const noPayload = t.resolve(q('iq', 'alice@example.com/pc', 'bob@example.com'));
  assert.equal(noPayload.kind === 'bounce' && noPayload.condition, 'bad-request');
});

test("an account's disco features: a claim's own features beside its namespace, for those who may use it, common to every instance", () => {
  const MAM = 'urn:xmpp:mam:2';
  const t = table();
  t.set(
    'router',
    declaration('router', 'r1', {
      accountIq: [
        { ns: MAM, ownOnly: true, features: [`${MAM}#extended`] },
        { ns: 'vcard-temp', ownOnly: false },
      ],
    }),
  );
  assert.deepEqual(t.accountNamespaces(true), [ROSTER, MAM, `${MAM}#extended`, 'vcard-temp']);
  assert.deepEqual(t.accountNamespaces(false), ['vcard-temp'], 'an own-only claim shows neither its namespace nor its features to others');
  // an instance without the feature (an older version during a rolling upgrade): not promised
  t.set(
    'router-2',
    declaration('router', 'r2', {
      accountIq: [
        { ns: MAM, ownOnly: true },
        { ns: 'vcard-temp', ownOnly: false },
      ],
    }),
  );
  assert.deepEqual(t.accountNamespaces(true), [ROSTER, MAM, 'vcard-temp']);
  t.delete('router-2');
  assert.deepEqual(t.accountNamespaces(true), [ROSTER, MAM, `${MAM}#extended`, 'vcard-temp']);
  assert.throws(() => declaration('router', 'r3', { accountIq: [{ ns: MAM, ownOnly: true, features: [''] }] }), /empty disco feature/);
});

test('the server: declared namespaces, else service-unavailable; messages per RFC 6120 §10.3', () => {
  const t = table();
  const ping = t.resolve(q('iq', 'alice@example.com/pc', 'example.com', { ns: 'urn:xmpp:ping' }));
  assert.deepEqual(ping.kind === 'service' && [ping.service, ping.claim, ping.partitionKey], ['router', 'server-iq', 'alice@example.com']);
  for (const type of ['get', 'set']) {
    const r = t.resolve(q('iq', 'alice@example.com/pc', 'example.com', { ns: 'urn:nobody', type }));
    assert.equal(r.kind === 'bounce' && r.condition, 'service-unavailable');
  }
  const chat = t.resolve(q('message', 'alice@example.com/pc', 'example.com', { type: 'chat' }));
  assert.equal(chat.kind === 'bounce' && chat.condition, 'service-unavailable');
  assert.equal(t.resolve(q('message', 'alice@example.com/pc', 'example.com', { type: 'headline' })).kind, 'drop');
});

test('other domains: remote-server-not-found until a service declares remote domains; then that service', () => {
  const t = table();
  for (const kind of ['message', 'iq'] as const) {
    const r = t.resolve(q(kind, 'alice@example.com/pc', 'carol@elsewhere.org', { ns: 'x' }));
    assert.equal(r.kind === 'bounce' && r.condition, 'remote-server-not-found');
  }
  const presence = t.resolve(q('presence', 'alice@example.com/pc', 'carol@elsewhere.org', { phase: 'deliver' }));
  assert.equal(presence.kind === 'bounce' && presence.condition, 'remote-server-not-found');
  t.set('s2s', declaration('s2s', 's1', { remoteDomains: true }));
  const r = t.resolve(q('message', 'alice@example.com/pc', 'carol@elsewhere.org'));
  assert.deepEqual(r.kind === 'service' && [r.service, r.claim, r.partitionKey], ['s2s', 'remote-domain', 'elsewhere.org']);
  assert.equal(r.kind === 'service' && r.subject, subjects.serviceIn('s2s', partitionOf('elsewhere.org', P)));
});

test('a service domain (MUC) is a declaration: every stanza to it goes there, by room', () => {
  const t = table();
  const room = 'room@conference.example.com';
  assert.equal(t.resolve(q('message', 'alice@example.com/pc', room, { type: 'groupchat' })).kind, 'bounce');
  t.set('muc', declaration('muc', 'm1', { domains: ['conference.example.com'], discoFeatures: ['http://jabber.org/protocol/muc'] }));
  const msg = t.resolve(q('message', 'alice@example.com/pc', `${room}/nick`, { type: 'groupchat' }));
  assert.deepEqual(msg.kind === 'service' && [msg.service, msg.claim, msg.partitionKey], ['muc', 'domain', room]);
  // A join is presence: the sender's side first (directed-presence list), then the room.
  assert.equal(t.resolve(q('presence', 'alice@example.com/pc', `${room}/nick`)).kind === 'service' ? 'presence' : '', 'presence');
  const join = t.resolve(q('presence', 'alice@example.com/pc', `${room}/nick`, { phase: 'deliver' }));
  assert.equal(join.kind === 'service' && join.service, 'muc');
  assert.deepEqual(t.discoFeatures(), ['http://jabber.org/protocol/muc', ROSTER]);
  assert.equal(t.delete('muc'), true);
  assert.equal(t.resolve(q('presence', 'alice@example.com/pc', `${room}/nick`, { phase: 'deliver' })).kind, 'bounce');
});

test('batches go to a service only while every live instance of it declares takesBatches', () => {
  const t = table();
  const room = () => {
    const to = t.resolve(q('message', 'alice@example.com/pc', 'room@conference.example.com', { type: 'groupchat' }));
    return to.kind === 'service' ? to.batches : undefined;
  };
  t.set('muc/m1', declaration('muc', 'm1', { domains: ['conference.example.com'], takesBatches: true }));
  assert.equal(room(), true);
  // a rolling upgrade: an instance of a version that does not know batches joins
  t.set('muc/m0', declaration('muc', 'm0', { domains: ['conference.example.com'] }));
  assert.equal(room(), false);
  t.delete('muc/m0');
  assert.equal(room(), true);
  // presence declared nothing: one stanza per request
  const presence = t.resolve(q('presence', 'alice@example.com/pc', 'bob@example.com'));
  assert.equal(presence.kind === 'service' && presence.batches, false);
});

test('no presence service: a client presence is refused at once, inbound presence dropped', () => {
  const t = new AddressingTable({ localDomains: ['example.com'], partitions: P });
  const r = t.resolve(q('presence', 'alice@example.com/pc', 'bob@example.com'));
  assert.equal(r.kind === 'bounce' && r.condition, 'service-unavailable');
  assert.equal(t.resolve(q('presence', 'carol@elsewhere.org/x', 'bob@example.com', { phase: 'deliver' })).kind, 'drop');
});

test('two services claiming one thing: the first by name serves it, the clash is reported', () => {
  const t = table();
  t.set('rival', declaration('aaa', 'a1', { accountIq: [{ ns: ROSTER, ownOnly: true }] }));
  t.set('rival2', declaration('zzz', 'z1', { accountPresence: true }));
  const r = t.resolve(q('iq', 'alice@example.com/pc', 'alice@example.com', { ns: ROSTER }));
  assert.equal(r.kind === 'service' && r.service, 'aaa');
  assert.equal(t.conflicts().length, 2);
});

test('a service declaring a local domain does not take the accounts over', () => {
  const t = table();
  t.set('rogue', declaration('rogue', 'x', { domains: ['example.com'] }));
  assert.deepEqual(t.resolve(q('message', 'alice@example.com/pc', 'bob@example.com')), { kind: 'account', account: 'bob@example.com' });
});

test('declarations are checked: a service name must be a subject token', () => {
  assert.throws(() => declaration('Bad.Name', 'x', {}), /subject token/);
  assert.throws(() => declaration('muc', 'x', { domains: ['a@b'] }), /bare domain/);
});
