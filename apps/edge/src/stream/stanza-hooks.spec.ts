import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { encodeFrame, subjects, type StanzaEnvelope } from '#libs/bus';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import type { Registration } from '#libs/xmpp-kit';
import { DOMAIN, startEdge, type EdgeHarness } from '../testing/edge-harness.js';
import { RawClient } from '../testing/raw-client.js';
import type { C2sStream } from './c2s-stream.machine.js';
import type { Outcome, StanzaMeta } from './outgoing.js';

describe('stanza-in and stanza-out hooks', () => {
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const registrations: Registration[] = [];
  before(async () => {
    h = await startEdge();
    await h.addUser('alice', 'secret');
  });
  afterEach(() => {
    for (const undo of registrations.splice(0)) undo();
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => h.stop());

  const bound = async (resource: string): Promise<{ c: RawClient; jid: string; stream: C2sStream }> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    const jid = await c.login(DOMAIN, 'alice', 'secret', resource);
    const record = (await h.registry.get(jid))!;
    return { c, jid, stream: h.edge.ctx.sessions.get(record.sessionId)! };
  };
  const envelope = (stream: C2sStream, to: string, id: string, raw?: string): StanzaEnvelope => ({
    from: 'bob@example.test/x',
    to,
    kind: 'MESSAGE',
    type: 'chat',
    id,
    xml: Buffer.from(raw ?? `<message from="bob@example.test/x" to="${to}" type="chat" id="${id}"><body>${id}</body></message>`),
    target: { edgeId: h.edge.edgeId, sessionId: stream.sessionId },
    hops: 0,
  });
  const ping = async (c: RawClient, id: string): Promise<void> => {
    c.send(xml('iq', { type: 'get', id, to: 'alice@example.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  };
  /** Reads elements until the one with `id`; returns the ids read on the way (in order). */
  const readUntil = async (c: RawClient, id: string): Promise<string[]> => {
    const seen: string[] = [];
    for (;;) {
      const el = await c.element();
      const name = el.attrs.id ?? `<${el.name}>`;
      seen.push(name);
      if (name === id) return seen;
    }
  };

  test('a stanza no negotiation feature claims passes the negotiate chain without a promise (every handler answers at once)', async () => {
    const { stream, jid } = await bound('negotiate');
    const owners = h.edge.ctx.hooks.handlers('negotiate')?.map((e) => e.owner) ?? [];
    for (const owner of ['starttls', 'sasl', 'sasl2', 'bind', 'stream-management', 'register', 'invite', 'csi'])
      assert.ok(owners.includes(owner), `${owner} has a negotiate handler`);
    for (const el of [
      xml('message', { to: jid, type: 'chat' }, xml('body', {}, 'hi')),
      xml('presence'),
      xml('iq', { type: 'get', id: 'p1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    ])
      assert.equal(h.edge.ctx.hooks.runNow('negotiate', { stream, el }), 'continue', `<${el.name}/>: the answer itself, not a promise`);
  });

  test('with no stanza-out handler a delivery is written byte for byte, never parsed', async () => {
    const { c, jid, stream } = await bound('raw');
    const raw = `<message   to='${jid}' type="chat" id='raw-1'><body>as   sent &amp; kept</body></message>`;
    const writes: Buffer[] = [];
    const write = stream.transport.write.bind(stream.transport);
    stream.transport.write = (data) => {
      writes.push(Buffer.from(data));
      return write(data);
    };
    h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza: envelope(stream, jid, 'raw-1', raw) }));
    assert.equal((await c.element()).attrs.id, 'raw-1');
    assert.ok(
      writes.some((w) => w.toString() === raw),
      'the envelope bytes, unchanged',
    );
  });

  test('an opt-in stanza-out handler runs only for streams that asked for it (interceptOut), e.g. with stream management', async () => {
    const seen: string[] = [];
    registrations.push(h.edge.ctx.hooks.on('stanza-out', (out) => void seen.push(out.meta?.id ?? ''), { owner: 'sm-like', optIn: true }));
    const plain = await bound('plain');
    const opted = await bound('opted');
    opted.stream.interceptOut(true);
    h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza: envelope(plain.stream, plain.jid, 'not-seen') }));
    h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza: envelope(opted.stream, opted.jid, 'seen') }));
    assert.equal((await plain.c.element()).attrs.id, 'not-seen');
    assert.equal((await opted.c.element()).attrs.id, 'seen');
    assert.deepEqual(seen, ['seen']);
    opted.stream.interceptOut(false);
    h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza: envelope(opted.stream, opted.jid, 'after') }));
    assert.equal((await opted.c.element()).attrs.id, 'after');
    assert.deepEqual(seen, ['seen'], 'not once the stream stopped asking');
  });

  test('stanza-out sees deliveries, the edge replies and the errors it makes; a delivery is named without parsing', async () => {
    const seen: string[] = [];
    registrations.push(
      h.edge.ctx.hooks.on(
        'stanza-out',
        (out) => {
          seen.push(`${out.name} ${out.meta ? `delivery ${out.meta.id}` : `edge ${out.element().attrs.type}`}`);
        },
        { owner: 'test' },
      ),
    );
    const { c, jid, stream } = await bound('watched');
    assert.deepEqual(seen, ['iq edge result'], 'the bind result');
    h.bus.publish(subjects.edgeDeliver(h.edge.edgeId), encodeFrame({ stanza: envelope(stream, jid, 'd1') }));
    assert.equal((await c.element()).attrs.id, 'd1');
    c.send(xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal((await c.element()).attrs.type, 'error');
    c.send(xml('message', { to: 'bad@@x', id: 'm1' }, xml('body', {}, 'x')));
    assert.equal((await c.element()).attrs.id, 'm1');
    assert.deepEqual(seen, ['iq edge result', 'message delivery d1', 'iq edge error', 'message edge error']);
  });

  test('a handler changes a delivery (parsed on demand) or drops it; the caller sees each outcome', async () => {
    registrations.push(
      h.edge.ctx.hooks.on(
        'stanza-out',
        (out) => {
          if (out.meta?.id === 'drop-me') out.drop('not for this client');
          else if (out.meta?.id === 'change-me') out.element().append(xml('x', { xmlns: 'urn:test' }));
        },
        { owner: 'filter' },
      ),
    );
    const { c, jid, stream } = await bound('filtered');
    const outcomes: string[] = [];
    const settle = (o: Outcome, meta: StanzaMeta): void => {
      outcomes.push(`${meta.id} ${o.kind}${o.kind === 'dropped' ? ` by ${o.by}: ${o.reason}` : ''}`);
    };
    for (const id of ['drop-me', 'change-me']) {
      const env = envelope(stream, jid, id);
      stream.deliver(env.xml, settle, env);
    }
    await ping(c, 'after');
    // `written` once the bytes left the process (the write callback): by the ping's answer they had.
    await waitFor(() => outcomes.length === 2, { what: 'both outcomes' });
    assert.deepEqual(outcomes, ['drop-me dropped by filter: not for this client', 'change-me written']);
    const changed = await c.element();
    assert.equal(changed.attrs.id, 'change-me');
    assert.ok(changed.getChild('x', 'urn:test'));
    assert.equal(changed.getChildText('body'), 'change-me');
    assert.deepEqual(await readUntil(c, 'after'), ['after'], 'the dropped one never came');
  });

  test('hold and release: reported held, written later in order; the handlers after the holder run on release', async () => {
    const held: { release(): void }[] = [];
    let counted = 0;
    registrations.push(
      h.edge.ctx.hooks.on(
        'stanza-out',
        (out) => {
          if (out.name === 'message') {
            out.hold();
            held.push(out);
          }
        },
        { owner: 'csi', priority: 10 },
      ),
      h.edge.ctx.hooks.on('stanza-out', () => void counted++, { owner: 'counter' }),
    );
    const { c, jid, stream } = await bound('held');
    counted = 0;
    const outcomes: string[] = [];
    for (const id of ['h1', 'h2']) {
      const env = envelope(stream, jid, id);
      stream.deliver(env.xml, (o, meta) => outcomes.push(`${meta.id} ${o.kind}`), env);
    }
    assert.deepEqual(outcomes, ['h1 held', 'h2 held']);
    await ping(c, 'p1');
    assert.deepEqual(await readUntil(c, 'p1'), ['p1'], 'the IQ passes the held messages');
    assert.equal(counted, 1, 'only the IQ reached the counter so far');
    for (const s of held.splice(0)) s.release();
    await waitFor(() => outcomes.length === 4, { what: 'h1 and h2 written' });
    assert.deepEqual(outcomes, ['h1 held', 'h2 held', 'h1 written', 'h2 written']);
    assert.equal(counted, 3);
    assert.deepEqual(await readUntil(c, 'h2'), ['h1', 'h2']);
  });

  test('a release inside the holding handler lets the chain go on: later handlers run once, the stanza is written once', async () => {
    const later: string[] = [];
    registrations.push(
      h.edge.ctx.hooks.on(
        'stanza-out',
        (out) => {
          if (!out.meta) return;
          out.hold();
          out.release();
        },
        { owner: 'instant', priority: 10 },
      ),
      h.edge.ctx.hooks.on('stanza-out', (out) => void (out.meta && later.push(out.meta.id!)), { owner: 'later' }),
    );
    const { c, jid, stream } = await bound('instant');
    const outcomes: string[] = [];
    const env = envelope(stream, jid, 'once');
    stream.deliver(env.xml, (o) => outcomes.push(o.kind), env);
    await waitFor(() => outcomes.length === 2, { what: 'written' });
    assert.deepEqual(outcomes, ['held', 'written']);
    assert.deepEqual(later, ['once']);
    await ping(c, 'after-once');
    assert.deepEqual(await readUntil(c, 'after-once'), ['once', 'after-once']);
  });

  test('a stanza still held when the connection goes is handed back unwritten', async () => {
    registrations.push(h.edge.ctx.hooks.on('stanza-out', (out) => void (out.meta && out.hold()), { owner: 'csi' }));
    const { c, jid, stream } = await bound('gone');
    const outcomes: Outcome[] = [];
    const env = envelope(stream, jid, 'kept');
    stream.deliver(env.xml, (o) => outcomes.push(o), env);
    c.close();
    await waitFor(() => outcomes.length === 2, { what: 'the held stanza handed back' });
    assert.deepEqual(outcomes, [
      { kind: 'held', by: 'csi' },
      { kind: 'unwritten', reason: 'closed' },
    ]);
    stream.deliver(env.xml, (o) => outcomes.push(o), env);
    assert.deepEqual(outcomes.at(-1), { kind: 'unwritten', reason: 'closed' }, 'a closed stream takes nothing');
  });

  test('a closing stream writes nothing more: what comes is unwritten (closing)', async () => {
    const { jid, stream } = await bound('closing');
    stream.close();
    const outcomes: Outcome[] = [];
    const env = envelope(stream, jid, 'late');
    stream.deliver(env.xml, (o) => outcomes.push(o), env);
    assert.deepEqual(outcomes, [{ kind: 'unwritten', reason: 'closing' }]);
  });

  test('a stanza-out handler that throws or returns a promise is logged and skipped; the stanza is still written', async () => {
    registrations.push(
      h.edge.ctx.hooks.on(
        'stanza-out',
        () => {
          throw new Error('broken feature');
        },
        { owner: 'broken', priority: 2 },
      ),
      // @ts-expect-error stanza-out handlers are synchronous; this one slips through only by force
      h.edge.ctx.hooks.on('stanza-out', async () => 'stop' as const, { owner: 'async', priority: 1 }),
    );
    const { c } = await bound('robust');
    await ping(c, 'still');
    assert.deepEqual(await readUntil(c, 'still'), ['still']);
  });

  test('stanza-in sees every stanza a bound client sends: it drops, changes, holds and releases', async () => {
    let heldIn: { release(): void } | undefined;
    const seen: string[] = [];
    registrations.push(
      h.edge.ctx.hooks.on(
        'stanza-in',
        async (ev) => {
          seen.push(ev.el.attrs.id ?? `<${ev.el.name}>`);
          await Promise.resolve(); // handlers may be async
          if (ev.el.attrs.id === 'in-drop') ev.drop('spam');
          else if (ev.el.attrs.id === 'in-change') ev.el.append(xml('x', { xmlns: 'urn:test' }));
          else if (ev.el.attrs.id === 'in-hold') {
            ev.hold();
            heldIn = ev;
          }
        },
        { owner: 'test' },
      ),
    );
    const { c } = await bound('inbound');
    assert.deepEqual(seen, [], 'negotiation (bind) is not a bound stanza');
    const routedIds = (): string[] => h.routed.map((f) => f.stanza?.id ?? '').filter((id) => id.startsWith('in-'));
    for (const id of ['in-drop', 'in-change', 'in-hold', 'in-after']) c.send(xml('message', { to: 'alice@example.test', id }, xml('body', {}, id)));
    await waitFor(() => routedIds().includes('in-after'), { what: 'in-after at the router' });
    assert.deepEqual(routedIds(), ['in-change', 'in-after']);
    const changed = h.routed.find((f) => f.stanza?.id === 'in-change')!.stanza!;
    assert.match(Buffer.from(changed.xml).toString(), /<x xmlns="urn:test"\/>/);
    heldIn!.release();
    await waitFor(() => routedIds().includes('in-hold'), { what: 'the released stanza at the router' });
    assert.deepEqual(routedIds(), ['in-change', 'in-after', 'in-hold']);
    c.send(xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal((await readUntil(c, '<iq>')).length >= 1, true);
    assert.deepEqual(seen, ['in-drop', 'in-change', 'in-hold', 'in-after', '<iq>'], 'an IQ the edge refuses passed too');
  });
});
