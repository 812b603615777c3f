import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionInfo } from '#libs/sessions';
import { MucHarness, SERVICE, errorOf } from '../../testing/muc-harness.js';

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
const REQ = 'http://jabber.org/protocol/muc#request';
const join = (nick: string) => `<presence to="mod@${SERVICE}/${nick}"><x xmlns="${MUC}"/></presence>`;
const form = (fields: Record<string, string>) =>
  `<message to="mod@${SERVICE}"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>${REQ}</value></field>` +
  Object.entries(fields)
    .map(([k, v]) => `<field var="${k}"><value>${v}</value></field>`)
    .join('') +
  `</x></message>`;
const fieldOf = (x: ReturnType<MucHarness['take']>[number] | undefined, name: string) =>
  x
    ?.getChild('x', 'jabber:x:data')
    ?.getChildren('field')
    .find((f) => f.attrs.var === name)
    ?.getChildText('value');

describe('XEP-0045 §7.13/§8.6 voice requests', () => {
  let h: MucHarness;
  let olga: SessionInfo;
  let vic: SessionInfo;
  let pat: SessionInfo;
  before(async () => {
    h = await MucHarness.start();
    olga = await h.login('olga@example.com/o');
    vic = await h.login('vic@example.com/v');
    pat = await h.login('pat@example.com/p');
    await h.send(olga, join('olga'));
    await h.send(
      olga,
      `<iq type="set" id="c" to="mod@${SERVICE}"><query xmlns="${MUC}#owner"><x xmlns="jabber:x:data" type="submit">` +
        `<field var="FORM_TYPE"><value>${MUC}#roomconfig</value></field><field var="muc#roomconfig_moderatedroom"><value>1</value></field></x></query></iq>`,
    );
    await h.send(vic, join('vic'));
    h.received.length = 0;
  });
  after(async () => {
    await h?.close();
  });

  it('a visitor asks, moderators get the form, an approval gives voice and tells everyone', async () => {
    await h.send(vic, `<message to="mod@${SERVICE}" type="groupchat"><body>hi</body></message>`);
    assert.equal(errorOf(h.take(vic)[0]), 'forbidden', 'a visitor has no voice yet');
    await h.send(vic, form({ 'muc#role': 'participant' }));
    assert.equal(h.take(vic).length, 0, 'the request is not echoed or refused');
    const asked = h.take(olga);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.attrs.from, `mod@${SERVICE}`);
    assert.equal(asked[0]!.getChild('x', 'jabber:x:data')!.attrs.type, 'form');
    assert.equal(fieldOf(asked[0], 'muc#roomnick'), 'vic');
    assert.equal(fieldOf(asked[0], 'muc#jid'), 'vic@example.com/v');
    assert.equal(fieldOf(asked[0], 'muc#request_allow'), 'false');

    await h.send(olga, form({ 'muc#role': 'participant', 'muc#roomnick': 'vic', 'muc#request_allow': 'false' }));
    assert.equal(h.take(vic).length, 0, 'a denial changes nothing');
    await h.send(olga, form({ 'muc#role': 'participant', 'muc#jid': 'vic@example.com/v', 'muc#roomnick': 'vic', 'muc#request_allow': 'true' }));
    const self = h.take(vic).find((e) => e.name === 'presence')!;
    assert.equal(self.attrs.from, `mod@${SERVICE}/vic`);
    assert.equal(self.getChild('x', USER)!.getChild('item')!.attrs.role, 'participant');
    assert.equal(h.take(olga).filter((e) => e.name === 'presence').length, 1, 'the moderator sees the new role too');
    await h.send(vic, `<message to="mod@${SERVICE}" type="groupchat"><body>now I speak</body></message>`);
    assert.equal(h.take(olga)[0]!.getChildText('body'), 'now I speak');
    h.take(vic);
  });

  it('refuses per the XEP: a participant asking, a non-moderator approving, a bad form, a non-occupant', async () => {
    await h.send(vic, form({ 'muc#role': 'participant' }));
    assert.equal(errorOf(h.take(vic)[0]), 'not-acceptable', 'vic has voice already');
    await h.send(vic, form({ 'muc#role': 'participant', 'muc#roomnick': 'vic', 'muc#request_allow': 'true' }));
    assert.equal(errorOf(h.take(vic)[0]), 'forbidden', 'only moderators approve');
    await h.send(vic, form({ 'muc#role': 'moderator' }));
    assert.equal(errorOf(h.take(vic)[0]), 'bad-request', 'muc#role is a list-single of participant');
    await h.send(pat, form({ 'muc#role': 'participant' }));
    assert.equal(errorOf(h.take(pat)[0]), 'not-acceptable', 'not an occupant');
    await h.send(olga, form({ 'muc#role': 'participant', 'muc#roomnick': 'nobody', 'muc#request_allow': 'true' }));
    assert.equal(errorOf(h.take(olga)[0]), 'item-not-found');
    assert.equal(h.take(olga).length, 0);
  });

  it('an owner can turn voice requests off (muc#roomconfig_allowvoicerequests): not-allowed', async () => {
    const cid = await h.login('cid@example.com/c');
    await h.send(cid, join('cid'));
    h.received.length = 0;
    await h.send(
      olga,
      `<iq type="set" id="c" to="mod@${SERVICE}"><query xmlns="${MUC}#owner"><x xmlns="jabber:x:data" type="submit">` +
        `<field var="FORM_TYPE"><value>${MUC}#roomconfig</value></field><field var="muc#roomconfig_allowvoicerequests"><value>0</value></field></x></query></iq>`,
    );
    h.received.length = 0;
    await h.send(cid, form({ 'muc#role': 'participant' }));
    assert.equal(errorOf(h.take(cid)[0]), 'not-allowed');
    assert.equal(h.take(olga).length, 0, 'no request reached the moderator');
    await h.send(olga, `<iq type="get" id="g" to="mod@${SERVICE}"><query xmlns="${MUC}#owner"/></iq>`);
    const field = h
      .take(olga)[0]!
      .getChild('query')!
      .getChild('x', 'jabber:x:data')!
      .getChildren('field')
      .find((f) => f.attrs.var === 'muc#roomconfig_allowvoicerequests');
    assert.equal(field?.getChildText('value'), '0');
  });

  it('in an unmoderated room there is no voice to ask for (not-allowed)', async () => {
    await h.send(pat, `<presence to="open@${SERVICE}/pat"/>`);
    h.take(pat);
    await h.send(pat, form({ 'muc#role': 'participant' }).replace(`mod@${SERVICE}`, `open@${SERVICE}`));
    assert.equal(errorOf(h.take(pat)[0]), 'not-allowed');
  });
});
