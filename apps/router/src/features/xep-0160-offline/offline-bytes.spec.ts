import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { RouterHarness, errorCondition } from '../../testing/router-harness.js';

/** router.offlineMaxBytesPerUser: a byte quota beside the message quota (issue 9). */
describe('XEP-0160 offline byte quota', () => {
  let h: RouterHarness;
  before(async () => {
    h = await RouterHarness.start({ config: { router: { offlineMaxPerUser: 1000, offlineMaxBytesPerUser: 8 * 1024 } } });
  });
  after(() => h.close());

  test('messages past the byte quota bounce with service-unavailable (XEP-0160 §3) though few in number', async () => {
    const edge = h.edge();
    const erin = await h.createUser('erin');
    const frank = await h.createUser('frank');
    const e = await edge.bind(`${erin}/pc`);
    const body = 'x'.repeat(3000);
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await edge.send(e, xml('message', { to: frank, type: 'chat', id: `big${i}` }, xml('body', {}, body))), { taken: true });
    await waitFor(() => edge.for(e).length === 1, { what: 'the bounce' });
    assert.deepEqual(
      edge.for(e).map((el) => [el.attrs.id, errorCondition(el)]),
      [['big2', 'service-unavailable']],
    );
    assert.equal(await h.storage.offline.count(frank), 2);
    // a small one still fits
    await edge.send(e, xml('message', { to: frank, type: 'chat', id: 'small' }, xml('body', {}, 'hi')));
    assert.equal(await h.storage.offline.count(frank), 3);
  });
});
