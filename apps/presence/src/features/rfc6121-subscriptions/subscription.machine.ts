import type { Subscription } from '#libs/storage';

/**
 * RFC 6121 Appendix A as pure functions: the subscription state of one roster item and what a
 * subscription stanza does to it, for the user sending it (outbound, A.2) and receiving it (inbound, A.3).
 */
export interface SubState {
  subscription: Subscription;
  /** Pending Out: the user asked for the contact's presence. */
  askOut: boolean;
  /** Pending In: the contact asked for the user's presence. */
  askIn: boolean;
  /** §3.4: the user pre-approved the contact's future request. */
  approved: boolean;
}

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export interface Transition {
  next: SubState;
  /** Outbound: route the stanza to the contact. Inbound: deliver it to the user's resources. */
  forward: boolean;
  /** Inbound only: what the server answers in the user's name instead of asking them. */
  autoReply?: 'subscribed';
}

export const NONE: SubState = { subscription: 'none', askOut: false, askIn: false, approved: false };

const hasTo = (s: SubState) => s.subscription === 'to' || s.subscription === 'both';
const hasFrom = (s: SubState) => s.subscription === 'from' || s.subscription === 'both';

function withTo(s: SubState, on: boolean): Subscription {
  const from = hasFrom(s);
  return on ? (from ? 'both' : 'to') : from ? 'from' : 'none';
}

function withFrom(s: SubState, on: boolean): Subscription {
  const to = hasTo(s);
  return on ? (to ? 'both' : 'from') : to ? 'to' : 'none';
}

/** A.2: the user sends a subscription stanza to the contact. */
export function outbound(s: SubState, type: SubscriptionType): Transition {
  switch (type) {
    case 'subscribe': // A.2.1: ask, unless subscribed already; always routed (the contact's server answers)
      return { next: hasTo(s) ? s : { ...s, askOut: true }, forward: true };
    case 'unsubscribe': // A.2.2
      return { next: { ...s, subscription: withTo(s, false), askOut: false }, forward: true };
    case 'subscribed': // A.2.3: approve a pending request, or pre-approve (§3.4), never routed then
      if (s.askIn) return { next: { ...s, subscription: withFrom(s, true), askIn: false, approved: false }, forward: true };
      if (hasFrom(s)) return { next: s, forward: false };
      return { next: { ...s, approved: true }, forward: false };
    case 'unsubscribed': // A.2.4: deny a request, cancel a subscription or a pre-approval
      if (!hasFrom(s) && !s.askIn) return { next: { ...s, approved: false }, forward: false };
      return { next: { ...s, subscription: withFrom(s, false), askIn: false, approved: false }, forward: true };
  }
}

/** A.3: the contact's subscription stanza reaches the user. */
export function inbound(s: SubState, type: SubscriptionType): Transition {
  switch (type) {
    case 'subscribe': // A.3.1
      if (hasFrom(s)) return { next: s, forward: false, autoReply: 'subscribed' };
      if (s.approved) return { next: { ...s, subscription: withFrom(s, true), approved: false }, forward: false, autoReply: 'subscribed' };
      if (s.askIn) return { next: s, forward: false };
      return { next: { ...s, askIn: true }, forward: true };
    case 'unsubscribe': // A.3.2
      if (!hasFrom(s) && !s.askIn) return { next: s, forward: false };
      return { next: { ...s, subscription: withFrom(s, false), askIn: false }, forward: true };
    case 'subscribed': // A.3.3: only an answer to our request counts
      if (!s.askOut) return { next: s, forward: false };
      return { next: { ...s, subscription: withTo(s, true), askOut: false }, forward: true };
    case 'unsubscribed': // A.3.4
      if (!hasTo(s) && !s.askOut) return { next: s, forward: false };
      return { next: { ...s, subscription: withTo(s, false), askOut: false }, forward: true };
  }
}

export function sameState(a: SubState, b: SubState): boolean {
  return a.subscription === b.subscription && a.askOut === b.askOut && a.askIn === b.askIn && a.approved === b.approved;
}
