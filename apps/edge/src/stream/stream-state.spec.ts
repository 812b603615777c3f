import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BaseStreamState, C2sStreamState } from './stream-state.js';

// Checked by the compiler (npm run build): the states are an open set per kind of stream, extended
// by declaration merging (stream-state.ts), and a name that no declaration adds is refused.
test('stream states: c2s extends the base lifecycle; unknown names do not compile', () => {
  const lifecycle: BaseStreamState[] = ['connected', 'closing', 'closed'];
  const c2s: C2sStreamState[] = [...lifecycle, 'tls-negotiating', 'secured', 'authenticating', 'authenticated', 'bound'];
  // @ts-expect-error a c2s negotiation state is not a base state (the s2s stream will not see it)
  const notBase: BaseStreamState = 'bound';
  // @ts-expect-error no declaration adds this state
  const unknown: C2sStreamState = 'hibernated-typo';
  assert.equal(new Set(c2s).size, 8);
  assert.ok(notBase && unknown);
});
