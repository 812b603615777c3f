import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inbound, outbound, type SubState, type SubscriptionType, type Transition } from './subscription.machine.js';

/** RFC 6121 Appendix A's state names. */
const STATES: Record<string, SubState> = {
  None: { subscription: 'none', askOut: false, askIn: false, approved: false },
  'None + Pending Out': { subscription: 'none', askOut: true, askIn: false, approved: false },
  'None + Pending In': { subscription: 'none', askOut: false, askIn: true, approved: false },
  'None + Pending Out+In': { subscription: 'none', askOut: true, askIn: true, approved: false },
  To: { subscription: 'to', askOut: false, askIn: false, approved: false },
  'To + Pending In': { subscription: 'to', askOut: false, askIn: true, approved: false },
  From: { subscription: 'from', askOut: false, askIn: false, approved: false },
  'From + Pending Out': { subscription: 'from', askOut: true, askIn: false, approved: false },
  Both: { subscription: 'both', askOut: false, askIn: false, approved: false },
};

function name(s: SubState): string {
  const found = Object.entries(STATES).find(([, v]) => v.subscription === s.subscription && v.askOut === s.askOut && v.askIn === s.askIn);
  return (found?.[0] ?? JSON.stringify(s)) + (s.approved ? ' + Approved' : '');
}

type Row = [from: string, to: string, forward: boolean];

function check(fn: (s: SubState, t: SubscriptionType) => Transition, type: SubscriptionType, rows: Row[]): void {
  for (const [from, to, forward] of rows) {
    const t = fn(STATES[from]!, type);
    assert.deepEqual([name(t.next), t.forward], [to, forward], `${type}: ${from}`);
  }
}

describe('RFC 6121 Appendix A.2: outbound (the user sends)', () => {
  test('A.2.1 subscribe', () =>
    check(outbound, 'subscribe', [
      ['None', 'None + Pending Out', true],
      ['None + Pending Out', 'None + Pending Out', true],
      ['None + Pending In', 'None + Pending Out+In', true],
      ['None + Pending Out+In', 'None + Pending Out+In', true],
      ['To', 'To', true],
      ['To + Pending In', 'To + Pending In', true],
      ['From', 'From + Pending Out', true],
      ['From + Pending Out', 'From + Pending Out', true],
      ['Both', 'Both', true],
    ]));
  test('A.2.2 unsubscribe', () =>
    check(outbound, 'unsubscribe', [
      ['None', 'None', true],
      ['None + Pending Out', 'None', true],
      ['None + Pending In', 'None + Pending In', true],
      ['None + Pending Out+In', 'None + Pending In', true],
      ['To', 'None', true],
      ['To + Pending In', 'None + Pending In', true],
      ['From', 'From', true],
      ['From + Pending Out', 'From', true],
      ['Both', 'From', true],
    ]));
  test('A.2.3 subscribed (approval; pre-approval §3.4 where nothing is pending, never routed)', () =>
    check(outbound, 'subscribed', [
      ['None', 'None + Approved', false],
      ['None + Pending Out', 'None + Pending Out + Approved', false],
      ['None + Pending In', 'From', true],
      ['None + Pending Out+In', 'From + Pending Out', true],
      ['To', 'To + Approved', false],
      ['To + Pending In', 'Both', true],
      ['From', 'From', false],
      ['From + Pending Out', 'From + Pending Out', false],
      ['Both', 'Both', false],
    ]));
  test('A.2.4 unsubscribed', () =>
    check(outbound, 'unsubscribed', [
      ['None', 'None', false],
      ['None + Pending Out', 'None + Pending Out', false],
      ['None + Pending In', 'None', true],
      ['None + Pending Out+In', 'None + Pending Out', true],
      ['To', 'To', false],
      ['To + Pending In', 'To', true],
      ['From', 'None', true],
      ['From + Pending Out', 'None + Pending Out', true],
      ['Both', 'To', true],
    ]));
  test('§3.4 unsubscribed cancels a pre-approval', () => {
    const t = outbound({ ...STATES.None!, approved: true }, 'unsubscribed');
    assert.deepEqual([name(t.next), t.forward], ['None', false]);
  });
});

describe('RFC 6121 Appendix A.3: inbound (the contact sends, the user receives)', () => {
  test('A.3.1 subscribe (auto-reply when already approved)', () => {
    check(inbound, 'subscribe', [
      ['None', 'None + Pending In', true],
      ['None + Pending Out', 'None + Pending Out+In', true],
      ['None + Pending In', 'None + Pending In', false],
      ['None + Pending Out+In', 'None + Pending Out+In', false],
      ['To', 'To + Pending In', true],
      ['To + Pending In', 'To + Pending In', false],
      ['From', 'From', false],
      ['From + Pending Out', 'From + Pending Out', false],
      ['Both', 'Both', false],
    ]);
    for (const s of ['From', 'From + Pending Out', 'Both']) assert.equal(inbound(STATES[s]!, 'subscribe').autoReply, 'subscribed', s);
  });
  test('A.3.1 with a pre-approval (§3.4): subscribed at once, not delivered', () => {
    for (const [from, to] of [
      ['None', 'From'],
      ['None + Pending Out', 'From + Pending Out'],
      ['To', 'Both'],
    ] as const) {
      const t = inbound({ ...STATES[from]!, approved: true }, 'subscribe');
      assert.deepEqual([name(t.next), t.forward, t.autoReply], [to, false, 'subscribed'], from);
    }
  });
  test('A.3.2 unsubscribe', () =>
    check(inbound, 'unsubscribe', [
      ['None', 'None', false],
      ['None + Pending Out', 'None + Pending Out', false],
      ['None + Pending In', 'None', true],
      ['None + Pending Out+In', 'None + Pending Out', true],
      ['To', 'To', false],
      ['To + Pending In', 'To', true],
      ['From', 'None', true],
      ['From + Pending Out', 'None + Pending Out', true],
      ['Both', 'To', true],
    ]));
  test('A.3.3 subscribed', () =>
    check(inbound, 'subscribed', [
      ['None', 'None', false],
      ['None + Pending Out', 'To', true],
      ['None + Pending In', 'None + Pending In', false],
      ['None + Pending Out+In', 'To + Pending In', true],
      ['To', 'To', false],
      ['To + Pending In', 'To + Pending In', false],
      ['From', 'From', false],
      ['From + Pending Out', 'Both', true],
      ['Both', 'Both', false],
    ]));
  test('A.3.4 unsubscribed', () =>
    check(inbound, 'unsubscribed', [
      ['None', 'None', false],
      ['None + Pending Out', 'None', true],
      ['None + Pending In', 'None + Pending In', false],
      ['None + Pending Out+In', 'None + Pending In', true],
      ['To', 'None', true],
      ['To + Pending In', 'None + Pending In', true],
      ['From', 'From', false],
      ['From + Pending Out', 'From', true],
      ['Both', 'From', true],
    ]));
});
