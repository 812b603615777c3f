export * from './bus.js';
export { subjects, buckets, keys, token, untoken, partitionOf, SERVICE_NAME } from './subjects.js';
export { BUS } from './bus.tokens.js';
export type * from './messages.js';
export {
  encodeFrame,
  decodeFrame,
  encodeAck,
  decodeAck,
  encodeBatchAck,
  decodeBatchAck,
  batchAcks,
  batchLength,
  BATCH_XML_BYTES,
  encodeSessionRecord,
  decodeSessionRecord,
  encodeServiceDeclaration,
  decodeServiceDeclaration,
  encodeSocks5Claim,
  decodeSocks5Claim,
  encodeSocks5Activation,
  decodeSocks5Activation,
  encodeSocks5ActivationResult,
  decodeSocks5ActivationResult,
  packageRoot,
  busProtoPath,
} from './frame.codec.js';
export type { BusLogger } from './bus-logger.js';
export { subjectMatches } from './subject-match.js';
export { keepBusValuesLocal, wire } from './local-values.js';
export { InProcessBus, type InProcessBusOptions } from './inprocess-bus.js';
export { PortBus } from './port-bus.js';
export { PortBusHost } from './port-bus-host.js';
export { createBus } from './create-bus.js';
export { PartitionedConsumer, type PartitionedConsumerOptions } from './partitioned-consumer.js';
export { ownerOf, partitionsOwnedBy } from './rendezvous.js';
export { NatsBus, readCredentials, type NatsBusConfig } from './nats-bus.js';
export { requestRetrying, type RequestRetryingOptions } from './request-retrying.js';
export { copyFor, envelopeOf, sharedStanzaOf, type SharedStanza } from './stanza-envelope.js';
export { Delivery, SESSION_GONE, type SessionTarget, type DeliveryOutcome, type DeliveryOptions } from './delivery.js';
export { traced, continueSpan, producerSpan } from './traced.js';
