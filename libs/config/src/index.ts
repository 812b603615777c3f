export { configSchema, type GliderConfig } from './config.schema.js';
export { loadConfig, loadConfigOrExit, ConfigError, type LoadConfigOptions } from './load-config.js';
export { instanceId } from './instance-id.js';
export { CONFIG } from './config.tokens.js';
export { socks5Schema, type Socks5Config } from './socks5.schema.js';
export { turnSchema, type TurnConfig } from './turn.schema.js';
export { ensureSecretFile } from './secret-file.js';
export { archiveSchema, type ArchiveConfig } from './archive.schema.js';
export { mucSchema, type MucConfig } from './muc.schema.js';
