import { JidError, parseJid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import { StorageLimitError } from '#libs/storage';
import type { IqAnswer } from '#libs/xmpp-kit';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';
import { PUBLISH_OPTIONS_FORM, formType } from './notification.js';
import type { PushConfig } from './push.config.js';

/**
 * §5 `<enable/>` and §6 `<disable/>`, IQ-set to the user's own bare JID (the dispatcher only lets
 * the owner in). Errors are values: bad-request for a missing or malformed attribute or a form
 * that is not publish-options, resource-constraint past `maxRegistrationsPerAccount`.
 */
export async function pushCommand(ctx: RouterContext, cfg: PushConfig, req: IqRequest): Promise<IqAnswer> {
  const owner = req.from.bare().toString();
  const el = req.payload;
  if (el.name !== 'enable' && el.name !== 'disable') return new StanzaError('bad-request', { text: `<${el.name}/> is not a push command` });
  const service = serviceJid(el.attrs.jid);
  if (service instanceof StanzaError) return service;
  const node = el.attrs.node;
  if (el.name === 'disable') {
    // §6: with a node, that pair; without, every node of the service. Nothing enabled is no error.
    const removed = await ctx.storage.push.disable(owner, service, node);
    ctx.logger.info({ jid: owner, service, node, removed }, 'push notifications disabled');
    return undefined;
  }
  // §5 says the node SHOULD be there; a publish (XEP-0060 §7.1.1) cannot go without one.
  if (!node) return new StanzaError('bad-request', { text: "<enable/> needs a 'node' to publish to" });
  const options = publishOptions(el.getChild('x', NS.xdata), cfg);
  if (options instanceof StanzaError) return options;
  try {
    await ctx.storage.push.enable(
      owner,
      { service, node, ...(options ? { publishOptions: options } : {}), enabledAt: new Date() },
      cfg.maxRegistrationsPerAccount,
    );
  } catch (err) {
    if (err instanceof StorageLimitError)
      return new StanzaError('resource-constraint', { text: `at most ${cfg.maxRegistrationsPerAccount} push registrations per account` });
    throw err;
  }
  ctx.logger.info({ jid: owner, service, node }, 'push notifications enabled');
  return undefined;
}

function serviceJid(attr: string | undefined): string | StanzaError {
  if (!attr) return new StanzaError('bad-request', { text: "a push command needs the service's 'jid'" });
  try {
    return parseJid(attr).toString();
  } catch (err) {
    if (err instanceof JidError) return new StanzaError('jid-malformed', { text: `jid: ${err.message}` });
    throw err;
  }
}

/** §5: the optional publish-options form, kept as XML and passed on with every publish (§7). */
function publishOptions(x: ReturnType<IqRequest['payload']['getChild']>, cfg: PushConfig): string | undefined | StanzaError {
  if (!x) return undefined;
  if (formType(x) !== PUBLISH_OPTIONS_FORM)
    return new StanzaError('bad-request', { text: `the form in <enable/> must have FORM_TYPE ${PUBLISH_OPTIONS_FORM}` });
  const text = x.toString();
  if (Buffer.byteLength(text, 'utf8') > cfg.maxPublishOptionsBytes)
    return new StanzaError('not-acceptable', { text: `publish options larger than ${cfg.maxPublishOptionsBytes} bytes` });
  return text;
}
