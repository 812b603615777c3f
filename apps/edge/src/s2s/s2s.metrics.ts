import { counterFamily, type BoundCounter } from '#libs/telemetry';

/*
 * glider_s2s_* (docs/observability.md): federation refusals and stanzas, labels bound once and
 * bounded (a refusal's free-text reason is folded into a few classes).
 */

const POLICY_REASONS = new Set(['denied', 'not-on-allowlist', 'federation-closed', 'bad-domain', 'policy changed']);
const refusals = counterFamily(
  'glider_s2s_refused_total',
  'Federation refused, by direction (in: a peer connecting to us, out: we to a peer) and reason (policy, certificate, ...)',
);
const bound = new Map<string, BoundCounter>();

/** Dialback refusals (apps/edge/src/s2s/dialback-in.ts, s2s-pool.ts): the key denied, or dialback switched off. */
const DIALBACK_REASONS: Record<string, string> = { 'dialback key invalid': 'dialback-invalid', 'dialback switched off': 'dialback-off' };

/** `why`: a policy decision (libs/federation DomainPolicy), a dialback outcome, a certificate verdict's text, or `DANE: …` (a TLSA mismatch or a failed DANE lookup). */
export function countRefusal(direction: 'in' | 'out', why: string): void {
  const reason = POLICY_REASONS.has(why) ? why.replace(' ', '-') : (DIALBACK_REASONS[why] ?? (why.startsWith('DANE: ') ? 'dane' : 'certificate'));
  const key = `${direction} ${reason}`;
  let c = bound.get(key);
  if (!c) bound.set(key, (c = refusals.bind({ direction, reason })));
  c.add();
}

const stanzas = counterFamily(
  'glider_s2s_stanzas_total',
  'Stanzas over federation, by direction (in: from peers to the router, out: handed to an outbound stream)',
);
export const s2sStanzasIn = stanzas.bind({ direction: 'in' });
export const s2sStanzasOut = stanzas.bind({ direction: 'out' });
