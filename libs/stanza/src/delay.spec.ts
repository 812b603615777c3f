import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delayElement } from './delay.js';

describe('delayElement', () => {
  it('stamps XEP-0203 delay in UTC', () => {
    assert.equal(
      delayElement('example.com', new Date(Date.UTC(2002, 8, 10, 23, 8, 25)), 'Offline Storage').toString(),
      '<delay xmlns="urn:xmpp:delay" from="example.com" stamp="2002-09-10T23:08:25.000Z">Offline Storage</delay>',
    );
  });
});
