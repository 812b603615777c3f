export { Jid, parseJid, tryParseJid, jid } from './jid.js';
export { JidError } from './jid-error.js';
