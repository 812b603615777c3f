// The declaration's codec is the bus codec's: its shape and mapping are generated from bus.proto
// (glider.bus.v1.ServiceDeclaration) into libs/bus/src/messages.ts.
export { encodeServiceDeclaration as encodeDeclaration, decodeServiceDeclaration as decodeDeclaration } from '#libs/bus';
