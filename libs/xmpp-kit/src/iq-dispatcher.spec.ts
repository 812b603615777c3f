import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { IqDispatcher, resultThen } from './iq-dispatcher.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const condition = (el: Element) =>
  el
    .getChild('error')
    ?.elements()
    .find((c) => c.xmlns === STANZAS)?.name;

function setup() {
  const logged: string[] = [];
  const d = new IqDispatcher<{ payload: Element }>({ error: (_o, m) => logged.push(m) });
  const sent: Element[] = [];
  const run = (iq: Element, where: 'server' | 'account' = 'server') =>
    d.dispatch(
      iq,
      where,
      (payload) => ({ payload }),
      (r) => void sent.push(r),
    );
  return { d, sent, run, logged };
}

const iq = (type: string, ...children: Element[]) => xml('iq', { type, id: 'i1', from: 'a@example.com/pc', to: 'example.com' }, children);

test('a result payload, none, or a protocol error as a value; from and to swapped', async () => {
  const { d, sent, run } = setup();
  d.register('get', 'urn:x', ({ payload }) => xml('query', { xmlns: 'urn:x' }, payload.attrs.n), { server: true });
  d.register('set', 'urn:x', () => new StanzaError('not-acceptable'), { server: true });
  d.register('get', 'urn:empty', () => undefined, { server: true });
  await run(iq('get', xml('query', { xmlns: 'urn:x', n: '7' })));
  await run(iq('set', xml('query', { xmlns: 'urn:x' })));
  await run(iq('get', xml('ping', { xmlns: 'urn:empty' })));
  assert.deepEqual(
    sent.map((e) => [e.attrs.type, e.attrs.to, e.attrs.from, e.attrs.id]),
    [
      ['result', 'a@example.com/pc', 'example.com', 'i1'],
      ['error', 'a@example.com/pc', 'example.com', 'i1'],
      ['result', 'a@example.com/pc', 'example.com', 'i1'],
    ],
  );
  assert.equal(sent[0]!.getChild('query')?.text(), '7');
  assert.equal(condition(sent[1]!), 'not-acceptable');
  assert.equal(sent[2]!.elements().length, 0);
});

test('RFC 6120 §8.4 / §8.2.3: unknown namespace → service-unavailable; no or two payloads → bad-request', async () => {
  const { sent, run } = setup();
  await run(iq('get', xml('query', { xmlns: 'urn:nobody' })));
  await run(iq('set', xml('query', { xmlns: 'urn:nobody' })));
  await run(iq('get'));
  await run(iq('get', xml('a', { xmlns: 'urn:a' }), xml('b', { xmlns: 'urn:b' })));
  assert.deepEqual(sent.map(condition), ['service-unavailable', 'service-unavailable', 'bad-request', 'bad-request']);
});

test('STYLE.md §4: an exception becomes internal-server-error (logged); a thrown StanzaError is its value', async () => {
  const { d, sent, run, logged } = setup();
  d.register(
    'get',
    'urn:boom',
    () => {
      throw new Error('boom');
    },
    { server: true },
  );
  d.register(
    'get',
    'urn:denied',
    async () => {
      throw new StanzaError('forbidden');
    },
    { server: true },
  );
  await run(iq('get', xml('q', { xmlns: 'urn:boom' })));
  await run(iq('get', xml('q', { xmlns: 'urn:denied' })));
  assert.deepEqual(sent.map(condition), ['internal-server-error', 'forbidden']);
  assert.equal(logged.length, 1);
});

test('a result or an error is never answered, whatever it holds', async () => {
  const { d, sent, run } = setup();
  d.register('get', 'urn:x', () => xml('q'), { server: true });
  await run(iq('result', xml('query', { xmlns: 'urn:x' })));
  await run(iq('error', xml('query', { xmlns: 'urn:nobody' })));
  await run(iq('result'));
  assert.equal(sent.length, 0);
});

test('scopes: server and account are separate; the same key twice in one scope is a boot error', async () => {
  const { d, sent, run } = setup();
  const undo = d.register('get', 'urn:x', () => undefined, { account: 'own' }, 'one');
  assert.throws(() => d.register('get', 'urn:x', () => undefined, { account: true }, 'two'), /already handled by one/);
  d.register('get', 'urn:x', () => undefined, { server: true }, 'three');
  d.register('set', 'urn:y', () => undefined, { account: true }, 'four');
  assert.deepEqual(d.claims(), {
    server: ['urn:x'],
    account: [
      { ns: 'urn:x', ownOnly: true, features: [] },
      { ns: 'urn:y', ownOnly: false, features: [] },
    ],
  });
  assert.deepEqual(d.namespaces('account'), ['urn:x', 'urn:y']);
  undo();
  await run(iq('get', xml('q', { xmlns: 'urn:x' })), 'account');
  assert.equal(condition(sent[0]!), 'service-unavailable', 'unregistered');
});

test('resultThen: the result leaves first, then the work after it; a failure there is logged, not answered', async () => {
  const { d, sent, run, logged } = setup();
  const order: string[] = [];
  d.register('get', 'urn:v', () => resultThen(undefined, async () => void order.push(`after ${sent.length}`)), { server: true });
  d.register(
    'get',
    'urn:w',
    () =>
      resultThen(xml('q', { xmlns: 'urn:w' }), async () => {
        throw new Error('late');
      }),
    { server: true },
  );
  await run(iq('get', xml('q', { xmlns: 'urn:v' })));
  assert.deepEqual(order, ['after 1']);
  await run(iq('get', xml('q', { xmlns: 'urn:w' })));
  assert.deepEqual(
    sent.map((e) => e.attrs.type),
    ['result', 'result'],
  );
  assert.equal(logged.length, 1);
});

test('an account claim carries the disco features its registrations name, merged over get and set', () => {
  const { d } = setup();
  d.register('get', 'urn:mam', () => undefined, { account: 'own', features: ['urn:mam#extended'] }, 'mam');
  d.register('set', 'urn:mam', () => undefined, { account: 'own', features: ['urn:mam#extended', 'urn:mam#more'] }, 'mam');
  d.register('get', 'urn:srv', () => undefined, { server: true, features: ['urn:srv#not-on-accounts'] }, 'srv');
  assert.deepEqual(d.claims(), {
    server: ['urn:srv'],
    account: [{ ns: 'urn:mam', ownOnly: true, features: ['urn:mam#extended', 'urn:mam#more'] }],
  });
});
