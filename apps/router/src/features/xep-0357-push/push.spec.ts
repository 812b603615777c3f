import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeAck, encodeFrame, partitionOf, subjects } from '#libs/bus';
import { ResumableStore, type SessionInfo } from '#libs/sessions';
import { NS } from '#libs/stanza';
import { waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { detachResumable } from '../../core/sm-reaper.js';
import { RouterHarness, errorCondition, type FakeEdge } from '../../testing/router-harness.js';
import { PUSH_NS, SUMMARY_FORM, PUBLISH_OPTIONS_FORM } from './notification.js';
import { pushMetrics } from './push.metrics.js';

const chat = (to: string, id: string, body?: string) =>
  xml('message', { to, id, type: 'chat' }, body !== undefined ? xml('body', {}, body) : xml('active', { xmlns: NS.chatStates }));
const enable = (service: string, node?: string, form?: Element) =>
  xml('iq', { type: 'set' }, xml('enable', { xmlns: PUSH_NS, jid: service, ...(node ? { node } : {}) }, form));
const disable = (service: string, node?: string) => xml('iq', { type: 'set' }, xml('disable', { xmlns: PUSH_NS, jid: service, ...(node ? { node } : {}) }));
const secretForm = (secret: string) =>
  xml(
    'x',
    { xmlns: NS.xdata, type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, PUBLISH_OPTIONS_FORM)),
    xml('field', { var: 'secret' }, xml('value', {}, secret)),
  );
const fields = (form: Element | undefined) => Object.fromEntries((form?.getChildren('field') ?? []).map((f) => [f.attrs.var, f.getChildText('value')]));
const publishes = (edge: FakeEdge, app: SessionInfo) =>
  edge.for(app).filter((e) => e.name === 'iq' && e.attrs.type === 'set' && e.getChild('pubsub', NS.pubsub));
const count = (o: keyof typeof pushMetrics) => pushMetrics[o].value;

async function discoFeatures(edge: FakeEdge, s: SessionInfo, to: string): Promise<string[]> {
  const answer = await edge.ask(s, xml('iq', { type: 'get', to }, xml('query', { xmlns: NS.discoInfo })));
  return (answer.getChild('query')?.getChildren('feature') ?? []).map((f) => f.attrs.var ?? '');
}

describe('push off (the default)', () => {
  let h: RouterHarness;
  before(async () => (h = await RouterHarness.start()));
  after(() => h.close());

  test('no urn:xmpp:push:0 on the account, and <enable/> is not served', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice-off');
    const a = await edge.bind(`${alice}/pc`);
    assert.ok(!(await discoFeatures(edge, a, alice)).includes(PUSH_NS));
    const answer = await edge.ask(a, enable('pusher@example.com/app', 'n1'));
    assert.equal(errorCondition(answer), 'service-unavailable');
    assert.deepEqual(await h.storage.push.list(alice), []);
  });
});

describe('push on', () => {
  let h: RouterHarness;
  before(
    async () => (h = await RouterHarness.start({ config: { features: { push: { enabled: true, maxRegistrationsPerAccount: 2, publishTimeoutMs: 300 } } } })),
  );
  after(() => h.close());

  test('§3.1: the owner sees urn:xmpp:push:0 on the account; §5/§6 enable and disable; bad input gets the right error', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice-cmd');
    const bob = await h.createUser('bob-cmd');
    const a = await edge.bind(`${alice}/pc`);
    const b = await edge.bind(`${bob}/pc`);
    assert.ok((await discoFeatures(edge, a, alice)).includes(PUSH_NS));
    assert.equal((await edge.ask(a, enable('push.example.org', 'n1', secretForm('s1')))).attrs.type, 'result');
    assert.equal((await edge.ask(a, enable('push.example.org', 'n2'))).attrs.type, 'result');
    // the same pair again: the last publish options win, no new registration (§5)
    assert.equal((await edge.ask(a, enable('push.example.org', 'n1', secretForm('s2')))).attrs.type, 'result');
    const regs = await h.storage.push.list(alice);
    assert.deepEqual(
      regs.map((r) => r.node),
      ['n1', 'n2'],
    );
    assert.match(regs[0]!.publishOptions ?? '', /s2/);
    assert.equal(errorCondition(await edge.ask(a, enable('push.example.org', 'n3'))), 'resource-constraint');
    assert.equal(errorCondition(await edge.ask(a, enable('push.example.org'))), 'bad-request', 'no node');
    assert.equal(errorCondition(await edge.ask(a, xml('iq', { type: 'set' }, xml('enable', { xmlns: PUSH_NS, node: 'n' })))), 'bad-request', 'no jid');
    assert.equal(errorCondition(await edge.ask(a, enable('@bad', 'n'))), 'jid-malformed');
    const wrongForm = xml('x', { xmlns: NS.xdata, type: 'submit' }, xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'urn:example')));
    assert.equal(errorCondition(await edge.ask(a, enable('push.example.org', 'n1', wrongForm))), 'bad-request');
    // another user's account: not theirs to change
    const other = await edge.ask(b, xml('iq', { type: 'set', to: alice }, xml('enable', { xmlns: PUSH_NS, jid: 'evil.example', node: 'n' })));
    assert.equal(other.attrs.type, 'error');
    assert.equal((await h.storage.push.list(alice)).length, 2);
    assert.equal((await edge.ask(a, disable('push.example.org', 'n2'))).attrs.type, 'result');
    assert.deepEqual(
      (await h.storage.push.list(alice)).map((r) => r.node),
      ['n1'],
    );
    assert.equal((await edge.ask(a, disable('push.example.org'))).attrs.type, 'result');
    assert.deepEqual(await h.storage.push.list(alice), []);
  });

  test('§7: a message stored offline is published to the app server with the summary form (no body) and the publish options; the result is counted', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice-off7');
    const bob = await h.createUser('bob-off7');
    const pusher = await h.createUser('pusher-off7');
    const app = await edge.bind(`${pusher}/app`);
    const b = await edge.bind(`${bob}/pc`);
    const a = await edge.bind(`${alice}/phone`);
    assert.equal((await edge.ask(a, enable(app.jid, 'node-7', secretForm('s3cr3t')))).attrs.type, 'result');
    await h.registry.remove(a.jid, a.sessionId); // alice is offline now
    const before = count('published');
    await edge.send(b, chat(alice, 'c1')); // a chat state alone: not stored, no notification
    await edge.send(b, chat(alice, 'm1', 'Wherefore art thou?'));
    await waitFor(() => publishes(edge, app).length >= 1, { what: 'the publish' });
    assert.equal(await h.storage.offline.count(alice), 1, 'the message itself is stored');
    const iq = publishes(edge, app)[0]!;
    assert.equal(iq.attrs.from, alice, 'from the account (§7 example 8)');
    const publish = iq.getChild('pubsub', NS.pubsub)!.getChild('publish')!;
    assert.equal(publish.attrs.node, 'node-7');
    const form = publish.getChild('item')?.getChild('notification', PUSH_NS)?.getChild('x', NS.xdata);
    assert.deepEqual(fields(form), { FORM_TYPE: SUMMARY_FORM, 'message-count': '1', 'last-message-sender': b.jid });
    assert.doesNotMatch(iq.toString(), /Wherefore/, 'no body unless configured');
    const options = fields(iq.getChild('pubsub', NS.pubsub)!.getChild('publish-options')?.getChild('x', NS.xdata));
    assert.deepEqual(options, { FORM_TYPE: PUBLISH_OPTIONS_FORM, secret: 's3cr3t' });
    await edge.send(app, xml('iq', { type: 'result', to: alice, id: iq.attrs.id! }));
    await waitFor(() => count('published') === before + 1, { what: 'the result counted' });
    assert.equal(publishes(edge, app).length, 1, 'one notification for one message');
  });

  test('§7: a message held for a detached XEP-0198 session is published too', async () => {
    const store = new ResumableStore(h.bus);
    const edge = h.edge('edge-sm-push');
    const alice = await h.createUser('alice-held');
    const bob = await h.createUser('bob-held');
    const pusher = await h.createUser('pusher-held');
    const app = await edge.bind(`${pusher}/app`);
    const b = await edge.bind(`${bob}/pc`);
    const phone: SessionInfo = {
      jid: `${alice}/phone`,
      edgeId: 'edge-sm-push',
      sessionId: randomUUID(),
      priority: 0,
      available: true,
      interested: false,
      boundAtMs: Date.now(),
    };
    await h.registry.bind(phone, 'replace');
    await store.create(phone.sessionId, {
      v: 1,
      jid: phone.jid,
      state: 'detached',
      edgeId: phone.edgeId,
      inH: 0,
      acked: 0,
      sent: 0,
      timeoutSec: 60,
      expiresAtMs: Date.now() + 60_000,
    });
    edge.behave(phone, 'gone'); // the connection is gone: the edge refuses, the router holds
    await h.storage.push.enable(alice, { service: app.jid, node: 'held-node', enabledAt: new Date() }, 5);
    assert.ok((await edge.send(b, chat(phone.jid, 'h1', 'are you there?'))).taken);
    await waitFor(() => publishes(edge, app).length >= 1, { what: 'the publish' });
    assert.deepEqual(
      (await store.items(phone.sessionId)).map((i) => i.item.i),
      ['h1'],
      'held for the resume',
    );
    assert.equal(await h.storage.offline.count(alice), 0);
    const iq = publishes(edge, app)[0]!;
    assert.equal(iq.getChild('pubsub', NS.pubsub)?.getChild('publish')?.attrs.node, 'held-node');
    await edge.send(app, xml('iq', { type: 'result', to: alice, id: iq.attrs.id! }));
  });

  test('§7: a session detached with messages it had not acknowledged (edge DETACHED, or its edge died) makes one notification with their count', async () => {
    const store = new ResumableStore(h.bus);
    const edge = h.edge('edge-det');
    const alice = await h.createUser('alice-det');
    const bob = await h.createUser('bob-det');
    const pusher = await h.createUser('pusher-det');
    const app = await edge.bind(`${pusher}/app`);
    await h.storage.push.enable(alice, { service: app.jid, node: 'det-node', enabledAt: new Date() }, 5);
    const detachedWith = async (resource: string, edgeId: string, state: 'attached' | 'detached') => {
      const jid = `${alice}/${resource}`;
      const sessionId = randomUUID();
      await h.registry.bind({ jid, edgeId, sessionId, priority: 0, available: true, interested: false, boundAtMs: Date.now() }, 'replace');
      await store.create(sessionId, { v: 1, jid, state, edgeId, inH: 0, acked: 0, sent: 3, timeoutSec: 60, expiresAtMs: Date.now() + 60_000 });
      const item = (n: number, payload: Element) => ({
        v: 1 as const,
        n,
        x: xml('message', { from: `${bob}/pc`, to: jid, type: 'chat', id: `u${n}` }, payload).toString(),
        k: 'MESSAGE',
        t: 'chat',
        i: `u${n}`,
        to: jid,
        fr: `${bob}/pc`,
      });
      await store.putItem(sessionId, item(1, xml('body', {}, 'one')));
      await store.putItem(sessionId, item(2, xml('composing', { xmlns: NS.chatStates })));
      await store.putItem(sessionId, item(3, xml('body', {}, 'three')));
      return { jid, sessionId };
    };
    // the edge says so
    const phone = await detachedWith('phone', 'edge-det', 'detached');
    const frame = encodeFrame({ session: { kind: 'DETACHED', jid: phone.jid, session: { edgeId: 'edge-det', sessionId: phone.sessionId } } });
    assert.ok(decodeAck(await h.bus.request(subjects.routerIn(partitionOf(alice, h.config.bus.partitions)), frame, { timeoutMs: 5000 })).taken);
    await waitFor(() => publishes(edge, app).length >= 1, { what: 'the publish' });
    const form = (iq: Element) =>
      fields(iq.getChild('pubsub', NS.pubsub)?.getChild('publish')?.getChild('item')?.getChild('notification', PUSH_NS)?.getChild('x', NS.xdata));
    assert.deepEqual(
      form(publishes(edge, app)[0]!),
      { FORM_TYPE: SUMMARY_FORM, 'message-count': '2', 'last-message-sender': `${bob}/pc` },
      'the chat state alone does not count',
    );
    // its edge died: the dead-edge sweep detaches it, and the same happens
    const tab = await detachedWith('tab', 'edge-dead-det', 'attached');
    assert.equal(await detachResumable(h.routers[0]!.runtime, tab.sessionId, 'edge-dead-det'), true);
    await waitFor(() => publishes(edge, app).length >= 2, { what: 'the second publish' });
    assert.equal(form(publishes(edge, app)[1]!)['message-count'], '2');
    for (const iq of publishes(edge, app)) await edge.send(app, xml('iq', { type: 'result', to: alice, id: iq.attrs.id! }));
  });

  test('§7.1: an error answer disables the JID and node; a wait error or no answer leaves it (logged and counted)', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice-err');
    const bob = await h.createUser('bob-err');
    const pusher = await h.createUser('pusher-err');
    const app = await edge.bind(`${pusher}/app`);
    const b = await edge.bind(`${bob}/pc`);
    const at = new Date();
    await h.storage.push.enable(alice, { service: app.jid, node: 'gone-node', enabledAt: at }, 5);
    await h.storage.push.enable(alice, { service: app.jid, node: 'busy-node', enabledAt: at }, 5);
    const errors = count('error');
    const disabled = count('disabled');
    await edge.send(b, chat(alice, 'e1', 'one'));
    await waitFor(() => publishes(edge, app).length >= 2, { what: 'two publishes' });
    const [gone, busy] = ['gone-node', 'busy-node'].map((n) =>
      publishes(edge, app).find((iq) => iq.getChild('pubsub', NS.pubsub)?.getChild('publish')?.attrs.node === n)!,
    );
    const err = (id: string, type: string, condition: string) =>
      xml('iq', { type: 'error', to: alice, id }, xml('error', { type }, xml(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
    // an answer from someone else than the push service changes nothing (it would disable busy-node)
    await edge.send(b, err(busy!.attrs.id!, 'cancel', 'item-not-found'));
    await edge.send(app, err(busy!.attrs.id!, 'wait', 'resource-constraint'));
    await edge.send(app, err(gone!.attrs.id!, 'cancel', 'item-not-found'));
    await waitFor(() => count('disabled') === disabled + 1, { what: 'the registration disabled' });
    assert.equal(count('error'), errors + 2);
    assert.deepEqual(
      (await h.storage.push.list(alice)).map((r) => r.node),
      ['busy-node'],
    );
    // no answer at all: a timeout, counted; the registration stays
    const timeouts = count('timeout');
    await edge.send(b, chat(alice, 'e2', 'two'));
    await waitFor(() => count('timeout') === timeouts + 1, { what: 'the timeout counted' });
    assert.equal((await h.storage.push.list(alice)).length, 1);
  });

  test('§8: the push service withdrawing the account’s affiliation removes that registration; the same from anyone else is an ordinary message', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice-rd');
    const bob = await h.createUser('bob-rd');
    const pusher = await h.createUser('pusher-rd');
    const app = await edge.bind(`${pusher}/app`);
    const b = await edge.bind(`${bob}/pc`);
    const a = await edge.bind(`${alice}/pc`);
    const at = new Date();
    await h.storage.push.enable(alice, { service: app.jid, node: 'n1', enabledAt: at }, 5);
    await h.storage.push.enable(alice, { service: app.jid, node: 'n2', enabledAt: at }, 5);
    const withdraw = (node: string) =>
      xml('message', { to: alice, id: `w-${node}` }, xml('pubsub', { xmlns: NS.pubsub, node }, xml('affiliation', { jid: alice, affiliation: 'none' })));
    await edge.send(b, withdraw('n1')); // not the push service: delivered like any message, nothing removed
    await edge.send(app, withdraw('n1'));
    await h.delivered();
    assert.deepEqual(
      (await h.storage.push.list(alice)).map((r) => r.node),
      ['n2'],
    );
    assert.deepEqual(
      edge.for(a).map((e) => e.attrs.from),
      [b.jid],
      'the service’s own notice is taken by the server',
    );
  });

  test('an app server on a domain nothing routes to yet (no s2s) is counted unreachable, the message stays stored', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice-remote');
    const bob = await h.createUser('bob-remote');
    const b = await edge.bind(`${bob}/pc`);
    await h.storage.push.enable(alice, { service: 'push.remote.example', node: 'n', enabledAt: new Date() }, 5);
    const unreachable = count('unreachable');
    await edge.send(b, chat(alice, 'r1', 'far away'));
    await waitFor(() => count('unreachable') === unreachable + 1, { what: 'counted unreachable' });
    assert.equal(await h.storage.offline.count(alice), 1);
    assert.equal((await h.storage.push.list(alice)).length, 1, 'not disabled: the route failed, not the app server');
  });
});

describe('push with two routers and the body configured', () => {
  let h: RouterHarness;
  before(async () => (h = await RouterHarness.start({ routers: 2, config: { features: { push: { enabled: true, includeBody: true, maxBodyChars: 5 } } } })));
  after(() => h.close());

  test('the answer reaches the router that published, whichever router routes it; last-message-body is cut to maxBodyChars', async () => {
    const edge = h.edge();
    const pusher = await h.createUser('pusher-two');
    const app = await edge.bind(`${pusher}/app`);
    const before = count('published');
    // several accounts: their partitions (and so the publishing router) differ from the app server's
    const accounts = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => h.createUser(`two-${n}`)));
    const bob = await h.createUser('bob-two');
    const b = await edge.bind(`${bob}/pc`);
    for (const acc of accounts) await h.storage.push.enable(acc, { service: app.jid, node: acc, enabledAt: new Date() }, 5);
    for (const acc of accounts) await edge.send(b, chat(acc, `t-${acc}`, 'Wherefore art thou?'));
    await waitFor(() => publishes(edge, app).length >= accounts.length, { what: 'every publish' });
    for (const iq of publishes(edge, app)) {
      const form = iq.getChild('pubsub', NS.pubsub)?.getChild('publish')?.getChild('item')?.getChild('notification', PUSH_NS)?.getChild('x', NS.xdata);
      assert.equal(fields(form)['last-message-body'], 'Where');
      await edge.send(app, xml('iq', { type: 'result', to: iq.attrs.from!, id: iq.attrs.id! }));
    }
    await waitFor(() => count('published') === before + accounts.length, { what: 'every result counted by its publisher' });
  });
});
