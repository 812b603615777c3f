/** What the bus contracts (bus.contract.ts, delivery.contract.ts) share. */
export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

let seq = 0;
/** A subject, edge id or bucket name no other case or run uses. */
export const unique = (what: string): string => `t${process.pid}_${Date.now().toString(36)}_${++seq}_${what}`;
