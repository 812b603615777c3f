import protobuf from 'protobufjs';
import { busProtoPath } from '#libs/bus';
import type { ServiceDeclaration } from './declaration.js';

const type = protobuf.loadSync(busProtoPath()).lookupType('glider.bus.v1.ServiceDeclaration');

/** The KV value of a declaration (proto `glider.bus.v1.ServiceDeclaration`). */
export function encodeDeclaration(d: ServiceDeclaration): Uint8Array {
  return type.encode(type.fromObject(d)).finish();
}

/** Decodes a KV value; fields a newer writer added are ignored, missing ones take their defaults. */
export function decodeDeclaration(bytes: Uint8Array): ServiceDeclaration {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const m = type.toObject(type.decode(bytes), { defaults: true, arrays: true }) as any;
  return {
    service: m.service,
    instance: m.instance,
    domains: m.domains,
    remoteDomains: m.remoteDomains,
    accountPresence: m.accountPresence,
    accountIq: m.accountIq.map((c: any) => ({ ns: c.ns, ownOnly: c.ownOnly })),
    serverIq: m.serverIq,
    discoFeatures: m.discoFeatures,
  };
}
