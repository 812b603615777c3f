/** XML namespaces Glider speaks, by the name features use. Add here, never inline a URI. */
export const NS = {
  // RFC 6120 / RFC 6121 / RFC 7395
  client: 'jabber:client',
  server: 'jabber:server',
  component: 'jabber:component:accept',
  stream: 'http://etherx.jabber.org/streams',
  streams: 'urn:ietf:params:xml:ns:xmpp-streams',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  framing: 'urn:ietf:params:xml:ns:xmpp-framing',
  roster: 'jabber:iq:roster',
  rosterVersioning: 'urn:xmpp:features:rosterver',
  preApproval: 'urn:xmpp:features:pre-approval',
  xml: 'http://www.w3.org/XML/1998/namespace',
  // server-to-server
  dialback: 'jabber:server:dialback',
  dialbackFeature: 'urn:xmpp:features:dialback',
  // XEPs
  discoInfo: 'http://jabber.org/protocol/disco#info', // XEP-0030
  discoItems: 'http://jabber.org/protocol/disco#items',
  caps: 'http://jabber.org/protocol/caps', // XEP-0115
  xdata: 'jabber:x:data', // XEP-0004
  rsm: 'http://jabber.org/protocol/rsm', // XEP-0059
  commands: 'http://jabber.org/protocol/commands', // XEP-0050
  ping: 'urn:xmpp:ping', // XEP-0199
  version: 'jabber:iq:version', // XEP-0092
  time: 'urn:xmpp:time', // XEP-0202
  last: 'jabber:iq:last', // XEP-0012
  vcard: 'vcard-temp', // XEP-0054
  vcardUpdate: 'vcard-temp:x:update', // XEP-0153
  private: 'jabber:iq:private', // XEP-0049
  offline: 'http://jabber.org/protocol/offline', // XEP-0013 / XEP-0160
  register: 'jabber:iq:register', // XEP-0077
  search: 'jabber:iq:search', // XEP-0055
  registerFeature: 'http://jabber.org/features/iq-register',
  delay: 'urn:xmpp:delay', // XEP-0203
  forward: 'urn:xmpp:forward:0', // XEP-0297
  carbons: 'urn:xmpp:carbons:2', // XEP-0280
  mam: 'urn:xmpp:mam:2', // XEP-0313
  stanzaId: 'urn:xmpp:sid:0', // XEP-0359
  hints: 'urn:xmpp:hints', // XEP-0334
  receipts: 'urn:xmpp:receipts', // XEP-0184
  chatStates: 'http://jabber.org/protocol/chatstates', // XEP-0085
  blocking: 'urn:xmpp:blocking', // XEP-0191
  blockingErrors: 'urn:xmpp:blocking:errors',
  sm: 'urn:xmpp:sm:3', // XEP-0198
  csi: 'urn:xmpp:csi:0', // XEP-0352
  sasl2: 'urn:xmpp:sasl:2', // XEP-0388
  bind2: 'urn:xmpp:bind:0', // XEP-0386
  fast: 'urn:xmpp:fast:0', // XEP-0484
  channelBinding: 'urn:xmpp:sasl-cb:0', // XEP-0440
  streamLimits: 'urn:xmpp:stream-limits:0', // XEP-0478
  muc: 'http://jabber.org/protocol/muc', // XEP-0045
  mucUser: 'http://jabber.org/protocol/muc#user',
  mucAdmin: 'http://jabber.org/protocol/muc#admin',
  mucOwner: 'http://jabber.org/protocol/muc#owner',
  mucUnique: 'http://jabber.org/protocol/muc#unique',
  pubsub: 'http://jabber.org/protocol/pubsub', // XEP-0060
  pubsubEvent: 'http://jabber.org/protocol/pubsub#event',
  pubsubOwner: 'http://jabber.org/protocol/pubsub#owner',
  pubsubErrors: 'http://jabber.org/protocol/pubsub#errors',
  bytestreams: 'http://jabber.org/protocol/bytestreams', // XEP-0065
  httpUpload: 'urn:xmpp:http:upload:0', // XEP-0363
  extdisco: 'urn:xmpp:extdisco:2', // XEP-0215
  push: 'urn:xmpp:push:0', // XEP-0357
  nick: 'http://jabber.org/protocol/nick', // XEP-0172
} as const;

export type Namespace = (typeof NS)[keyof typeof NS];
