import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '#libs/config';
import { parseElement, xml } from '#libs/xml';
import { fromItem, fromLegacy, planSync, toItemPayload, toLegacy } from './index.js';

const LIMITS = configSchema.parse({}).edge.limits;
const parse = (s: string) => parseElement(s, LIMITS);

const LEGACY = parse(
  `<storage xmlns="storage:bookmarks">` +
    `<conference jid="council@conference.underhill.org" name="Council of Oberon" autojoin="1"><nick>Puck</nick><password>pw</password><x xmlns="urn:example">kept</x></conference>` +
    `<conference jid="orchard@conference.shakespeare.lit"/>` +
    `<conference name="no jid, skipped"/>` +
    `<conference jid="council@conference.underhill.org" name="duplicate, skipped"/>` +
    `<url name="Homepage" url="https://example.org/"/>` +
    `</storage>`,
);

test('XEP-0048 storage → XEP-0402 items: jid becomes the id, autojoin 1/true, unknown children become extensions', () => {
  const marks = fromLegacy(LEGACY);
  assert.deepEqual(
    marks.map((b) => [b.jid, b.name, b.autojoin, b.nick, b.password]),
    [
      ['council@conference.underhill.org', 'Council of Oberon', true, 'Puck', 'pw'],
      ['orchard@conference.shakespeare.lit', undefined, false, undefined, undefined],
    ],
  );
  const payload = toItemPayload(marks[0]!);
  assert.equal(payload.attrs.xmlns, 'urn:xmpp:bookmarks:1');
  assert.equal(payload.attrs.autojoin, 'true');
  assert.equal(payload.getChildText('nick'), 'Puck');
  assert.equal(payload.getChild('extensions')?.getChild('x', 'urn:example')?.text(), 'kept');
  assert.equal(fromItem('r@c', xml('conference', { xmlns: 'storage:bookmarks' })), undefined, 'wrong namespace: not a bookmark');
});

test('XEP-0402 items → XEP-0048 storage keeps the URL bookmarks of the stored element; round trip is stable', () => {
  const marks = fromLegacy(LEGACY);
  const items = marks.map((b) => ({ id: b.jid, payload: toItemPayload(b) }));
  const back = toLegacy(
    items.map((i) => fromItem(i.id, i.payload)!),
    LEGACY,
  );
  assert.equal(back.getChildren('url').length, 1);
  assert.deepEqual(
    back.getChildren('conference').map((c) => [c.attrs.jid, c.attrs.autojoin]),
    [
      ['council@conference.underhill.org', 'true'],
      ['orchard@conference.shakespeare.lit', 'false'],
    ],
  );
  assert.equal(back.getChildren('conference')[0]!.getChild('x', 'urn:example')?.text(), 'kept');
  assert.deepEqual(planSync(marks, fromLegacy(back)), { publish: [], retract: [] }, 'nothing changed: nothing to publish');
});

test('planSync: new and changed bookmarks are published, missing ones retracted, unchanged ones left alone', () => {
  const now = fromLegacy(
    parse(`<storage xmlns="storage:bookmarks"><conference jid="a@c" name="A"/><conference jid="b@c" name="B"/><conference jid="c@c"/></storage>`),
  );
  const wanted = fromLegacy(
    parse(
      `<storage xmlns="storage:bookmarks"><conference jid="a@c" name="A"/><conference jid="b@c" name="B2" autojoin="true"/><conference jid="d@c"/></storage>`,
    ),
  );
  const plan = planSync(now, wanted);
  assert.deepEqual(
    plan.publish.map((b) => b.jid),
    ['b@c', 'd@c'],
  );
  assert.deepEqual(plan.retract, ['c@c']);
});
