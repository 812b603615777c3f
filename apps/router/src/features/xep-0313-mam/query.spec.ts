import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Element, xml } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition } from '../../testing/router-harness.js';

const MAM = 'urn:xmpp:mam:2';
const RSM = 'http://jabber.org/protocol/rsm';
const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
const form = (...fields: Element[]) => xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', MAM), ...fields);
const set = (...c: Element[]) => xml('set', { xmlns: RSM }, ...c);
const bodyOf = (m: Element) => m.getChild('result', MAM)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message')?.getChildText('body');

describe('XEP-0313 queries on the own archive', () => {
  let h: RouterHarness;
  let n = 0;
  before(async () => {
    h = await RouterHarness.start({ config: { archive: { enabled: true, maxQueriesPerMinute: 1000 } } });
  });
  after(() => h.close());

  /** alice sends bob `count` numbered chats; alice's pc then queries. */
  async function history(count: number) {
    const edge = h.edge(`edge-${++n}`);
    const alice = await h.createUser(`alice${n}`);
    const bob = await h.createUser(`bob${n}`);
    const carol = await h.createUser(`carol${n}`);
    const pc = await edge.bind(`${alice}/pc`);
    await edge.bind(`${bob}/laptop`);
    await edge.bind(`${carol}/tablet`);
    for (let i = 0; i < count; i++) await edge.send(pc, xml('message', { to: i % 3 === 2 ? carol : bob, type: 'chat' }, xml('body', {}, `m${i}`)));
    await h.delivered();
    edge.clear();
    /** Runs one query; returns the result messages (in the order received) and the IQ answer. */
    const ask = async (...children: (Element | undefined)[]) => {
      edge.clear();
      const answer = await edge.ask(pc, xml('iq', { type: 'set' }, xml('query', { xmlns: MAM, queryid: 'q' }, ...children)));
      const results = edge.for(pc).filter((e) => e.name === 'message');
      for (const r of results) assert.equal(r.getChild('result', MAM)?.attrs.queryid, 'q');
      return { results, answer, fin: answer.getChild('fin', MAM), bodies: results.map(bodyOf) };
    };
    return { edge, alice, bob, carol, pc, ask };
  }
  const rsmOf = (fin: Element | undefined) => fin?.getChild('set', RSM);

  test('§4.2/§4.3: the last page newest-first via before, then the page before it, with count and complete', async () => {
    const { ask } = await history(7);
    const last = await ask(set(xml('max', {}, '3'), xml('before')));
    assert.deepEqual(last.bodies, ['m4', 'm5', 'm6']);
    assert.equal(last.answer.attrs.type, 'result');
    assert.equal(last.fin?.attrs.complete, undefined);
    assert.equal(rsmOf(last.fin)?.getChildText('count'), '7');
    const first = rsmOf(last.fin)!.getChildText('first')!;
    assert.equal(first, last.results[0]!.getChild('result', MAM)?.attrs.id);
    const earlier = await ask(set(xml('max', {}, '3'), xml('before', {}, first)));
    assert.deepEqual(earlier.bodies, ['m1', 'm2', 'm3']);
    const oldest = await ask(set(xml('max', {}, '3'), xml('before', {}, rsmOf(earlier.fin)!.getChildText('first'))));
    assert.deepEqual(oldest.bodies, ['m0']);
    assert.equal(oldest.fin?.attrs.complete, 'true');
    const flipped = await ask(set(xml('max', {}, '2'), xml('before')), xml('flip-page'));
    assert.deepEqual(flipped.bodies, ['m6', 'm5']);
  });

  test('§4.1.1: with filters by the contact; delays and forwarded stanzas are the archived ones', async () => {
    const { ask, carol } = await history(6);
    const withCarol = await ask(form(field('with', carol)));
    assert.deepEqual(withCarol.bodies, ['m2', 'm5']);
    assert.equal(withCarol.fin?.attrs.complete, 'true');
    const fwd = withCarol.results[0]!.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!;
    assert.ok(fwd.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp);
    assert.equal(fwd.getChild('message')?.attrs.to, carol);
  });

  test('errors: unknown after-id is item-not-found, a malformed form bad-request; get lists the fields; metadata', async () => {
    const { ask, edge, pc } = await history(2);
    const unknown = await ask(form(field('after-id', '01HZZZZZZZZZZZZZZZZZZZZZZZ')));
    assert.equal(errorCondition(unknown.answer), 'item-not-found');
    assert.equal(unknown.results.length, 0);
    assert.equal(errorCondition((await ask(form(field('start', 'soon')))).answer), 'bad-request');
    assert.equal(errorCondition((await ask(set(xml('after', {}, 'nope')))).answer), 'item-not-found');
    const fields = await edge.ask(pc, xml('iq', { type: 'get' }, xml('query', { xmlns: MAM })));
    const vars = fields
      .getChild('query', MAM)
      ?.getChild('x', 'jabber:x:data')
      ?.getChildren('field')
      .map((f) => f.attrs.var);
    assert.deepEqual(vars, ['FORM_TYPE', 'with', 'start', 'end', 'after-id', 'before-id', 'ids']);
    const meta = (await edge.ask(pc, xml('iq', { type: 'get' }, xml('metadata', { xmlns: MAM })))).getChild('metadata', MAM);
    const all = await ask();
    assert.deepEqual(
      [meta?.getChild('start')?.attrs.id, meta?.getChild('end')?.attrs.id],
      [rsmOf(all.fin)?.getChildText('first'), rsmOf(all.fin)?.getChildText('last')],
    );
  });

  test("another user's archive is not reachable; disco on the server and the account advertises mam:2 and #extended", async () => {
    const { edge, pc, bob } = await history(1);
    const other = await edge.ask(pc, xml('iq', { type: 'set', to: bob }, xml('query', { xmlns: MAM })));
    assert.equal(other.attrs.type, 'error');
    const info = await edge.ask(pc, xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    assert.ok(features?.includes(MAM) && features.includes(`${MAM}#extended`));
    // §7: the archiving JID (the account) advertises mam:2 and, with the extended queries, #extended
    const own = await edge.ask(pc, xml('iq', { type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const onAccount = own
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    assert.ok(onAccount?.includes(MAM), 'mam:2 on the account');
    assert.ok(onAccount?.includes(`${MAM}#extended`), '#extended on the account');
  });

  test('§6 prefs: get gives the configured default, set stores and echoes bare JIDs', async () => {
    const { edge, pc, carol } = await history(0);
    const got = await edge.ask(pc, xml('iq', { type: 'get' }, xml('prefs', { xmlns: MAM })));
    assert.equal(got.getChild('prefs', MAM)?.attrs.default, 'always');
    const setIq = xml('iq', { type: 'set' }, xml('prefs', { xmlns: MAM, default: 'roster' }, xml('always', {}, xml('jid', {}, `${carol}/x`)), xml('never')));
    const r = await edge.ask(pc, setIq);
    assert.deepEqual(
      r
        .getChild('prefs', MAM)
        ?.getChild('always')
        ?.getChildren('jid')
        .map((j) => j.text()),
      [carol],
    );
    const bad = await edge.ask(pc, xml('iq', { type: 'set' }, xml('prefs', { xmlns: MAM, default: 'sometimes' })));
    assert.equal(errorCondition(bad), 'bad-request');
  });
});

describe('XEP-0313 query rate', () => {
  test('past archive.maxQueriesPerMinute the query is a policy-violation', async () => {
    const h = await RouterHarness.start({ config: { archive: { enabled: true, maxQueriesPerMinute: 2 } } });
    try {
      const edge = h.edge();
      const pc = await edge.bind(`${await h.createUser('limited')}/pc`);
      const q = () => edge.ask(pc, xml('iq', { type: 'set' }, xml('query', { xmlns: MAM })));
      assert.equal((await q()).attrs.type, 'result');
      assert.equal((await q()).attrs.type, 'result');
      assert.equal(errorCondition(await q()), 'policy-violation');
    } finally {
      await h.close();
    }
  });

  test('past archive.maxPrefsJids JIDs in a preferences list the set is not-acceptable and nothing changes', async () => {
    const h = await RouterHarness.start({ config: { archive: { enabled: true, maxPrefsJids: 2 } } });
    try {
      const edge = h.edge();
      const owner = await h.createUser('prefs-limit');
      const pc = await edge.bind(`${owner}/pc`);
      const jids = (...j: string[]) => j.map((x) => xml('jid', {}, x));
      const prefs = (...never: string[]) =>
        xml('iq', { type: 'set' }, xml('prefs', { xmlns: MAM, default: 'always' }, xml('always'), xml('never', {}, ...jids(...never))));
      assert.equal((await edge.ask(pc, prefs('a@x', 'b@x'))).attrs.type, 'result', 'at the limit');
      assert.equal(errorCondition(await edge.ask(pc, prefs('a@x', 'b@x', 'c@x'))), 'not-acceptable');
      assert.deepEqual((await h.storage.archive.getPrefs(owner))?.never, ['a@x', 'b@x']);
    } finally {
      await h.close();
    }
  });

  test('with archive.enabled off nothing is answered or advertised', async () => {
    const h = await RouterHarness.start({ config: { archive: { enabled: false } } });
    try {
      const edge = h.edge();
      const pc = await edge.bind(`${await h.createUser('nomam')}/pc`);
      assert.equal(errorCondition(await edge.ask(pc, xml('iq', { type: 'set' }, xml('query', { xmlns: MAM })))), 'service-unavailable');
      const info = await edge.ask(pc, xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      assert.ok(
        !info
          .getChild('query')
          ?.getChildren('feature')
          .some((f) => f.attrs.var === MAM),
      );
      const bob = await h.createUser('nomam-bob');
      const laptop = await edge.bind(`${bob}/laptop`);
      await edge.send(pc, xml('message', { to: bob, type: 'chat' }, xml('body', {}, 'unarchived')));
      await h.delivered();
      const [got] = edge.for(laptop);
      assert.equal(got?.getChildText('body'), 'unarchived');
      assert.equal(got?.getChild('stanza-id', 'urn:xmpp:sid:0'), undefined, 'nothing stamped');
      assert.equal((await h.storage.archive.query(bob, {}, { max: 1 })).count, 0, 'nothing archived');
    } finally {
      await h.close();
    }
  });

  test('archive.enabled is on by default', async () => {
    const h = await RouterHarness.start();
    try {
      const edge = h.edge();
      const pc = await edge.bind(`${await h.createUser('default-mam')}/pc`);
      assert.equal((await edge.ask(pc, xml('iq', { type: 'set' }, xml('query', { xmlns: MAM })))).attrs.type, 'result');
    } finally {
      await h.close();
    }
  });
});
