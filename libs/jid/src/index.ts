export { Jid, parseJid, tryParseJid, jid } from './jid.js';
export { JidError } from './jid-error.js';
export { enforceNickname, nicknameKey } from './precis-profiles.js';
