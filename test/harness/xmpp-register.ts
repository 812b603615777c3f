import { client as xmppClient, xml, type Client, type XmlElement } from '@xmpp/client';
import { CLIENT_STEP_TIMEOUT_MS, stopReconnecting } from './xmpp-client.js';

const NS_IBR_TOKEN = 'urn:xmpp:ibr-token:0';
const NS_PARS = 'urn:xmpp:pars:0';
const NS_REGISTER = 'jabber:iq:register';

/** What the server answered at the step that refused (an XMPP stanza error, RFC 6120 §8.3). */
export interface Refusal {
  step: 'features' | 'preauth' | 'register';
  condition: string;
  text?: string;
}

export type Registration = { ok: true; xmpp: Client; jid: string } | { ok: false; refusal: Refusal };

/**
 * A newcomer redeeming an invite the way a client like Conversations does, with xmpp.js (@xmpp/client
 * 0.14, which has no XEP-0077 module of its own): on the TLS-secured stream, before logging in, it
 * checks for XEP-0445's `<register xmlns='urn:xmpp:ibr-token:0'/>` stream feature (§discover),
 * presents the token (`<preauth xmlns='urn:xmpp:pars:0' token/>`, §preauth-ibr), registers the
 * account (XEP-0077 §3.1), then authenticates as it on the same stream with xmpp.js's own SASL /
 * SASL2 and binds. `token` undefined skips the preauth (registration without an invite).
 */
export async function registerWithInvite(
  service: string,
  opts: { token?: string; username: string; password: string; domain?: string; resource?: string },
): Promise<Registration> {
  const domain = opts.domain ?? 'localhost';
  let features: XmlElement | undefined;
  let refusal: Refusal | undefined;
  const xmpp: Client = xmppClient({
    service,
    domain,
    resource: opts.resource ?? 'onboard',
    timeout: CLIENT_STEP_TIMEOUT_MS,
    credentials: async (authenticate: (c: object, m: string) => Promise<void>, mechanisms: string[]) => {
      if (!features?.getChild('register', NS_IBR_TOKEN)) {
        refusal = { step: 'features', condition: 'no urn:xmpp:ibr-token:0 stream feature' };
        throw new Error(refusal.condition);
      }
      const ask = async (step: Refusal['step'], iq: XmlElement): Promise<void> => {
        try {
          await xmpp.iqCaller.request(iq, CLIENT_STEP_TIMEOUT_MS);
        } catch (err) {
          const e = err as { condition?: string; text?: string };
          refusal = { step, condition: e.condition ?? String(err), ...(e.text ? { text: e.text } : {}) };
          throw err;
        }
      };
      if (opts.token !== undefined) await ask('preauth', xml('iq', { type: 'set', to: domain }, xml('preauth', { xmlns: NS_PARS, token: opts.token })));
      await ask(
        'register',
        xml('iq', { type: 'set', to: domain }, xml('query', { xmlns: NS_REGISTER }, xml('username', {}, opts.username), xml('password', {}, opts.password))),
      );
      await authenticate({ username: opts.username, password: opts.password }, mechanisms[0]!);
    },
  });
  xmpp.on('error', () => {});
  xmpp.on('element', (el: XmlElement) => {
    if (el.name === 'stream:features') features = el;
  });
  try {
    const address = await xmpp.start();
    return { ok: true, xmpp, jid: address.toString() };
  } catch (err) {
    stopReconnecting(xmpp);
    await xmpp.stop().catch(() => {});
    if (refusal) return { ok: false, refusal };
    throw err;
  }
}
