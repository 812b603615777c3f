export { AddressingTable, type AddressingTableOptions } from './addressing-table.js';
export { ServiceDirectory, type ServiceDirectoryOptions } from './service-directory.js';
export { declaration, type ServiceDeclaration, type IqClaim, type Serves } from './declaration.js';
export { encodeDeclaration, decodeDeclaration } from './declaration.codec.js';
export type { Address, AddressQuery, ServiceClaim, StanzaName } from './address.js';
