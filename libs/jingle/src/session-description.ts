/**
 * The parts of an SDP offer or answer (RFC 8866, JSEP RFC 9429) that Jingle carries, as plain data.
 * `parseSdp` and `writeSdp` convert it from and to SDP text; `jingle.codec.ts` from and to Jingle.
 * What is not modelled here is not signalled (listed in the lib's README).
 */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface IceCandidate {
  foundation: string;
  component: number;
  protocol: string;
  priority: number;
  ip: string;
  port: number;
  type: 'host' | 'srflx' | 'prflx' | 'relay';
  relAddr?: string;
  relPort?: number;
  generation: number;
  network?: number;
}

export interface Fingerprint {
  /** Hash function name as in SDP (`sha-256`). */
  hash: string;
  /** Colon-separated upper-case hex. */
  value: string;
  setup: 'actpass' | 'active' | 'passive';
}

export interface Parameter {
  /** Absent for a format parameter that is not `name=value` (`a=fmtp:63 111/111`). */
  name?: string;
  value: string;
}

export interface RtcpFeedback {
  type: string;
  subtype?: string;
}

export interface PayloadType {
  id: number;
  name: string;
  clockrate: number;
  channels?: number;
  parameters: Parameter[];
  feedback: RtcpFeedback[];
}

export interface HeaderExtension {
  id: number;
  uri: string;
  direction?: Direction;
}

export interface Source {
  ssrc: number;
  /** `cname`, `msid`, ... in SDP order. */
  parameters: { name: string; value: string }[];
}

export interface SourceGroup {
  semantics: string;
  ssrcs: number[];
}

export interface RtpSection {
  payloads: PayloadType[];
  /** `a=rtcp-fb:*` lines: feedback for every payload type. */
  feedback: RtcpFeedback[];
  extensions: HeaderExtension[];
  extmapAllowMixed: boolean;
  rtcpMux: boolean;
  /** The media-level `a=msid:<stream> <track>`. */
  msid?: string;
  sources: Source[];
  sourceGroups: SourceGroup[];
}

export interface SctpSection {
  port: number;
  maxMessageSize?: number;
}

export interface MediaSection {
  mid: string;
  kind: 'audio' | 'video' | 'application';
  /** The m-line's protocol (`UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`). */
  protocol: string;
  direction: Direction;
  ice: { ufrag: string; pwd: string };
  fingerprint?: Fingerprint;
  candidates: IceCandidate[];
  rtp?: RtpSection;
  sctp?: SctpSection;
}

export interface SessionDescription {
  groups: { semantics: string; mids: string[] }[];
  media: MediaSection[];
}

export class SdpError extends Error {
  override readonly name = 'SdpError';
}
