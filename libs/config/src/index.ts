export { configSchema, type GliderConfig } from './config.schema.js';
export { loadConfig, loadConfigOrExit, ConfigError, type LoadConfigOptions } from './load-config.js';
export { instanceId } from './instance-id.js';
export { CONFIG } from './config.tokens.js';
export { socks5Schema, type Socks5Config } from './socks5.schema.js';
export { turnSchema, type TurnConfig } from './turn.schema.js';
export { ensureSecretFile } from './secret-file.js';
export { archiveSchema, type ArchiveConfig } from './archive.schema.js';
export { s2sSchema, s2sPolicySchema, s2sRouteSchema, s2sDaneSchema, type S2sConfig, type S2sPolicyConfig, type S2sDaneConfig } from './s2s.schema.js';
export {
  directorySchema,
  directorySearchSchema,
  directoryVcardSchema,
  ldapSchema,
  sharedRosterSchema,
  type DirectoryConfig,
  type DirectorySearchConfig,
  type DirectoryVcardConfig,
  type LdapConfig,
  type SharedRosterConfig,
} from './directory.schema.js';
export { invitesSchema, type InvitesConfig } from './invites.schema.js';
export { ssoSchema, oidcSchema, type SsoConfig, type OidcConfig } from './sso.schema.js';
export { mucSchema, type MucConfig } from './muc.schema.js';
export { standaloneSchema, type StandaloneConfig } from './standalone.schema.js';
export { availableCores } from './available-cores.js';
