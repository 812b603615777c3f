import type { AddressingTable } from '#libs/addressing';
import type { Delivery, StanzaEnvelope } from '#libs/bus';
import type { Jid } from '#libs/jid';
import type { ServiceDeps } from '#libs/runtime';
import type { Element } from '#libs/xml';
import type { Hooks, IqDispatcher, Registration } from '#libs/xmpp-kit';
import type { MediaHooks } from './media-relay.hooks.js';

/** What the service is built from (Nest provides these in the app; tests pass them directly). */
export type MediaDeps = ServiceDeps;

/** What a media IQ handler gets. */
export interface MediaIqRequest {
  iq: Element;
  /** The IQ's one payload child (RFC 6120 §8.2.3). */
  payload: Element;
  /** The sender, a full JID (a local user's session, through the router). */
  from: Jid;
  /** As addressed: a component domain (upload.example.com) or a local domain. */
  to: Jid;
  /** The local domain the addressed component belongs to (example.com for upload.example.com). */
  domain: string;
  env: StanzaEnvelope;
}

/**
 * A component domain a feature serves: `<label>.<domain>` for each local domain (XEP-0030 item of
 * the server, its own disco#info). Declared in the addressing table once added, so the router sends
 * its stanzas here; listed in the server's disco#items only while this service runs.
 */
export interface MediaComponent {
  /** First label of its domains: 'upload' serves upload.<each local domain>. */
  label: string;
  /** XEP-0030 identity, e.g. { category: 'store', type: 'file', name: 'HTTP File Upload' }. */
  identity: { category: string; type: string; name: string };
  /** Its disco#info features (besides disco#info itself). */
  discoFeatures: string[];
  /** XEP-0128 data forms added to its disco#info (XEP-0363 §4: max-file-size). */
  infoForms?(domain: string): Element[];
}

/** What `components.add` gives back: the component's IQ handlers, and the undo. */
export interface ComponentHandle {
  /** IQs to the component's domain: `handle.iq.register('get', ns, handler, { server: true }, owner)`. */
  readonly iq: IqDispatcher<MediaIqRequest>;
  readonly remove: Registration;
}

/** Counters behind the glider_media_* metrics. */
export interface MediaStats {
  stanzas: number;
}

/** What a media-relay feature's setup gets. */
export interface MediaContext extends MediaDeps {
  readonly hooks: Hooks<MediaHooks>;
  readonly stats: MediaStats;
  readonly delivery: Delivery;
  /** Where a stanza goes (libs/addressing). */
  readonly addressing: AddressingTable;
  /** This service's name in the addressing table ('media'). */
  readonly serviceName: string;
  /** Component domains (upload.<domain>, proxy.<domain>): add one in a feature's setup. */
  readonly components: { add(c: MediaComponent): ComponentHandle };
  /**
   * IQs to the local domains themselves (XEP-0215 on the server): `ctx.serverIq.register('get', ns,
   * handler, { server: true }, owner)`; declared as server IQs, so the router sends them here. The
   * feature's `discoFeatures` then show in the server's disco#info.
   */
  readonly serverIq: IqDispatcher<MediaIqRequest>;
  /** Sends `el` to the session that sent the request (resolves once the edge took it or refused). */
  reply(req: MediaIqRequest, el: Element): Promise<void>;
  parseXml(text: string): Element;
}
