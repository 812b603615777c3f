export { parseCandidate, writeCandidate } from './candidate.js';
export { candidateFromJingle, candidateToJingle } from './jingle-transport.codec.js';
export { jingleToSdp, sdpToJingle, sendersOf, directionOf, type JingleRole, type ToJingleOptions } from './jingle.codec.js';
export { JINGLE_NS } from './namespaces.js';
export { parseSdp, writeSdp } from './sdp.codec.js';
export { SdpError, type IceCandidate, type MediaSection, type SessionDescription } from './session-description.js';
