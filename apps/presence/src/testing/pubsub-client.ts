import { createHash } from 'node:crypto';
import { verificationString } from '#libs/pubsub';
import { NS } from '#libs/stanza';
import type { SessionInfo } from '#libs/sessions';
import { waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import type { PresenceHarness } from './presence-harness.js';

/** A client's disco#info answer for `features`, and the XEP-0115 ver it hashes to. */
export function clientCaps(features: string[]): { query: Element; ver: string } {
  const query = xml(
    'query',
    { xmlns: NS.discoInfo },
    xml('identity', { category: 'client', type: 'pc', name: 'test' }),
    ...features.map((f) => xml('feature', { var: f })),
  );
  const ver = createHash('sha1').update(verificationString(query)!, 'utf8').digest('base64');
  return { query, ver };
}

/**
 * Sends available presence with caps for `features` and, when the server asks (XEP-0115 §6.2, from
 * pubsub.<domain>), answers like a client; resolves once the hash is in the shared cache.
 */
export async function presenceWithCaps(h: PresenceHarness, s: SessionInfo, features: string[], answer = true): Promise<string> {
  const { query, ver } = clientCaps(features);
  const before = h.for(s).length;
  await h.send(s, xml('presence', {}, xml('c', { xmlns: NS.caps, hash: 'sha-1', node: 'https://glider.test', ver })));
  const pep = h.presence.runtime.pep;
  if ((await pep.caps.features('sha-1', ver)) || !answer) return ver;
  await waitFor(
    () =>
      h
        .for(s)
        .slice(before)
        .some((e) => e.name === 'iq' && e.getChild('query', NS.discoInfo)),
    { what: 'disco#info query', timeoutMs: 20_000 },
  );
  const ask = h
    .for(s)
    .slice(before)
    .find((e) => e.name === 'iq' && e.getChild('query', NS.discoInfo))!;
  const node = ask.getChild('query', NS.discoInfo)!.attrs.node!;
  const reply = xml('iq', { type: 'result', id: ask.attrs.id!, to: ask.attrs.from! }, xml('query', { xmlns: NS.discoInfo, node }, ...query.elements()));
  await h.send(s, reply);
  return ver;
}

export const iq = (type: 'get' | 'set', id: string, payload: Element, to?: string) => xml('iq', to ? { type, id, to } : { type, id }, payload);

export const pubsub = (...children: Element[]) => xml('pubsub', { xmlns: NS.pubsub }, ...children);
export const owner = (...children: Element[]) => xml('pubsub', { xmlns: NS.pubsubOwner }, ...children);

export function form(type: string, values: Record<string, string>): Element {
  return xml(
    'x',
    { xmlns: NS.xdata, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, type)),
    ...Object.entries(values).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
  );
}

/** "condition/app-condition" of an IQ error (or 'result'). */
export function outcome(el: Element | undefined): string {
  if (!el) return 'none';
  if (el.attrs.type !== 'error') return el.attrs.type ?? '';
  const children = el.getChild('error')?.elements() ?? [];
  const cond = children.find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text');
  const app = children.find((c) => c.attrs.xmlns === NS.pubsubErrors);
  return app ? `${cond?.name}/${app.name}` : (cond?.name ?? '?');
}

export function events(els: Element[], node: string): Element[] {
  return els.filter(
    (e) =>
      e.name === 'message' &&
      e
        .getChild('event', NS.pubsubEvent)
        ?.getChildren('items')
        .some((i) => i.attrs.node === node),
  );
}
