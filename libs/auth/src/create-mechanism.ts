import { PlainMechanism } from './plain.mechanism.js';
import { ScramMechanism } from './scram.mechanism.js';
import type { SaslContext, SaslMechanism, SaslMechanismName } from './sasl.types.js';

/** A fresh server-side exchange for one authentication attempt. */
export function createMechanism(name: SaslMechanismName, ctx: SaslContext): SaslMechanism {
  switch (name) {
    case 'SCRAM-SHA-1':
      return new ScramMechanism(ctx, { hash: 'SHA-1', plus: false });
    case 'SCRAM-SHA-256':
      return new ScramMechanism(ctx, { hash: 'SHA-256', plus: false });
    case 'SCRAM-SHA-1-PLUS':
      return new ScramMechanism(ctx, { hash: 'SHA-1', plus: true });
    case 'SCRAM-SHA-256-PLUS':
      return new ScramMechanism(ctx, { hash: 'SHA-256', plus: true });
    case 'PLAIN':
      return new PlainMechanism(ctx);
    default:
      throw new Error(`unknown SASL mechanism ${String(name)}`);
  }
}
