import { PepService } from '#libs/pubsub';
import type { RouterContext } from '../router.context.js';

const services = new WeakMap<RouterContext, PepService>();

/**
 * The router's one handle on PEP (XEP-0398 vCard → avatar, XEP-0402 #compat, XEP-0490 server
 * assist), or undefined when `features.pubsub.enabled` is off. libs/pubsub keeps every bit of
 * state in storage and the bus KV, so this instance and the presence service's agree.
 */
export function routerPep(ctx: RouterContext): PepService | undefined {
  let pep = services.get(ctx);
  if (!pep) {
    pep = new PepService(ctx);
    services.set(ctx, pep);
  }
  return pep.cfg.enabled ? pep : undefined;
}
