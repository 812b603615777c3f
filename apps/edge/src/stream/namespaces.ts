/** Namespaces the edge speaks itself (stream negotiation); stanza payload namespaces live in #libs/stanza. */
export const NS = {
  stream: 'http://etherx.jabber.org/streams',
  client: 'jabber:client',
  framing: 'urn:ietf:params:xml:ns:xmpp-framing',
  streams: 'urn:ietf:params:xml:ns:xmpp-streams',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  bind: 'urn:ietf:params:xml:ns:xmpp-bind',
  session: 'urn:ietf:params:xml:ns:xmpp-session',
  register: 'jabber:iq:register',
  registerFeature: 'http://jabber.org/features/iq-register',
  saslCb: 'urn:xmpp:sasl-cb:0',
  limits: 'urn:xmpp:stream-limits:0',
} as const;
