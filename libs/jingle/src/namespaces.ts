/** The Jingle namespaces this lib maps SDP to (each XEP cited where it is used). */
export const JINGLE_NS = {
  jingle: 'urn:xmpp:jingle:1', // XEP-0166
  rtp: 'urn:xmpp:jingle:apps:rtp:1', // XEP-0167
  iceUdp: 'urn:xmpp:jingle:transports:ice-udp:1', // XEP-0176
  dtls: 'urn:xmpp:jingle:apps:dtls:0', // XEP-0320
  sctp: 'urn:xmpp:jingle:transports:dtls-sctp:1', // XEP-0343
  rtcpFb: 'urn:xmpp:jingle:apps:rtp:rtcp-fb:0', // XEP-0293
  hdrext: 'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0', // XEP-0294
  ssma: 'urn:xmpp:jingle:apps:rtp:ssma:0', // XEP-0339
  grouping: 'urn:xmpp:jingle:apps:grouping:0', // XEP-0338
} as const;
