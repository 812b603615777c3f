/**
 * TypeScript shapes of proto/glider/bus/v1/bus.proto (field names camelCased as protobufjs does).
 * Kept by hand beside the proto: a field added there is added here, additively.
 */
export type StanzaKind = 'STANZA_KIND_UNSPECIFIED' | 'MESSAGE' | 'PRESENCE' | 'IQ';

export interface SessionRef {
  edgeId: string;
  sessionId: string;
}

export interface StanzaEnvelope {
  from: string;
  to: string;
  kind: StanzaKind;
  type: string;
  id: string;
  /** The serialised stanza; on decode a view into the received buffer (no copy). */
  xml: Uint8Array;
  traceparent?: string;
  tracestate?: string;
  origin?: SessionRef;
  target?: SessionRef;
  hops?: number;
  /** Ack once written to the connection, refuse if never written (proto `ack_when_written`). */
  ackWhenWritten?: boolean;
}

export type SessionEventKind = 'KIND_UNSPECIFIED' | 'BOUND' | 'ENDED' | 'AVAILABLE';

export interface SessionEvent {
  kind: SessionEventKind;
  jid: string;
  session?: SessionRef;
  wasAvailable?: boolean;
  status?: string;
}

export type EdgeControlKind = 'KIND_UNSPECIFIED' | 'CLOSE_SESSION' | 'DRAIN';

export interface EdgeControl {
  kind: EdgeControlKind;
  sessionId?: string;
  condition?: string;
  text?: string;
}

export interface LoadReport {
  component: string;
  instance: string;
  connections?: number;
  stanzasPerSecond?: number;
  atMs?: number;
  draining?: boolean;
}

/** Exactly one body is set (proto oneof `body`); an empty Frame is what a newer writer's unknown body decodes to. */
export interface Frame {
  stanza?: StanzaEnvelope;
  session?: SessionEvent;
  control?: EdgeControl;
  load?: LoadReport;
}

export interface Ack {
  taken: boolean;
  error?: string;
}

export interface SessionRecord {
  jid: string;
  session?: SessionRef;
  priority: number;
  available: boolean;
  interested: boolean;
  boundAtMs: number;
  lastPresence?: Uint8Array;
}
