import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJid } from '#libs/jid';
import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { IqDispatcher } from '#libs/xmpp-kit';
import type { MediaIqRequest } from '../../media-relay.context.js';
import { issueTurnCredential, verifyTurnCredential } from '../rfc8656-turn/credentials.js';
import { registerExtdisco } from './extdisco.handlers.js';

const SECRET = 'extdisco-spec-secret-0123456789';
const relay = { host: '192.0.2.10', ports: { udp: 3478, tcp: 3478 }, issue: (user: string) => issueTurnCredential(SECRET, user, 600) };

/** One IQ through the real dispatcher, built as media-runtime builds it; returns the reply. */
async function ask(iq: IqDispatcher<MediaIqRequest>, from: string, payload: Element, type = 'get'): Promise<Element> {
  const el = xml('iq', { from, to: 'example.org', type, id: 'q1' }, payload);
  const replies: Element[] = [];
  const req = (p: Element): MediaIqRequest => ({
    iq: el,
    payload: p,
    from: parseJid(from),
    to: parseJid('example.org'),
    domain: 'example.org',
    env: {} as MediaIqRequest['env'],
  });
  await iq.dispatch(el, 'server', req, (r) => void replies.push(r));
  assert.equal(replies.length, 1, 'exactly one answer');
  return replies[0]!;
}

const condition = (r: Element) =>
  r
    .getChild('error')
    ?.elements()
    .find((e) => e.attr('xmlns') === NS.stanzas)?.name;

test('a local user gets the services with a credential minted for their bare JID', async () => {
  const iq = new IqDispatcher<MediaIqRequest>({ error: () => {} });
  registerExtdisco(iq, ['example.org'], relay);
  const r = await ask(iq, 'alice@example.org/phone', xml('services', { xmlns: NS.extdisco }));
  assert.equal(r.attr('type'), 'result');
  const turn = r
    .getChild('services', NS.extdisco)!
    .getChildren('service')
    .find((s) => s.attr('type') === 'turn')!;
  assert.match(turn.attr('username')!, /^\d+:alice@example\.org$/);
  assert.ok(verifyTurnCredential(SECRET, turn.attr('username')!, turn.attr('password')!).ok);
  const creds = await ask(
    iq,
    'alice@example.org/phone',
    xml('credentials', { xmlns: NS.extdisco }, xml('service', { host: '192.0.2.10', type: 'turn', port: '3478' })),
  );
  assert.equal(creds.getChild('credentials', NS.extdisco)!.getChildren('service').length, 2, 'udp and tcp share host, type and port');
  assert.deepEqual(iq.claims().server, [NS.extdisco]);
});

test('errors: a remote requester is forbidden, an unknown element is bad-request, a set is not served', async () => {
  const iq = new IqDispatcher<MediaIqRequest>({ error: () => {} });
  const regs = registerExtdisco(iq, ['example.org'], relay);
  assert.equal(condition(await ask(iq, 'mallory@elsewhere.net/x', xml('services', { xmlns: NS.extdisco }))), 'forbidden');
  assert.equal(
    condition(await ask(iq, 'mallory@elsewhere.net/x', xml('credentials', { xmlns: NS.extdisco }, xml('service', { host: '192.0.2.10', type: 'turn' })))),
    'forbidden',
  );
  assert.equal(condition(await ask(iq, 'alice@example.org/phone', xml('nonsense', { xmlns: NS.extdisco }))), 'bad-request');
  assert.equal(condition(await ask(iq, 'alice@example.org/phone', xml('services', { xmlns: NS.extdisco }), 'set')), 'service-unavailable');
  for (const undo of regs) undo();
  assert.deepEqual(iq.claims().server, [], 'stopping withdraws the claim');
});
